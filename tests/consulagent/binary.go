package consulagent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	// EnvBinary names an existing consul binary to use instead of a build.
	EnvBinary = "PHOTONDB_CONSUL_BIN"

	mainModule     = "github.com/photondb-io/photondb"
	wrapperDir     = "tests/tools/consul"
	consulModule   = "github.com/hashicorp/consul"
	buildTimeout   = 20 * time.Minute
	lockTimeout    = buildTimeout + time.Minute
	versionTimeout = 30 * time.Second
)

var binary struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the consul binary: $PHOTONDB_CONSUL_BIN, or the cached
// build of the pinned version (building it if needed). The result is
// memoised for the process.
func Binary() (string, error) {
	binary.once.Do(func() { binary.path, binary.err = findBinary() })
	return binary.path, binary.err
}

func findBinary() (string, error) {
	if bin := os.Getenv(EnvBinary); bin != "" {
		if err := checkBinary(bin, ""); err != nil {
			return "", fmt.Errorf("%s=%q: %w", EnvBinary, bin, err)
		}
		return bin, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	wrapper := filepath.Join(root, wrapperDir)
	version, err := pinnedVersion(filepath.Join(wrapper, "go.mod"))
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the consul build (set %s): %w", EnvBinary, err)
	}
	dir := filepath.Join(cache, "photondb-tools")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("consul build cache: %w", err)
	}
	bin := filepath.Join(dir, "consul-"+version)
	if checkBinary(bin, version) == nil {
		return bin, nil
	}
	unlock, err := lockFile(bin+".lock", lockTimeout)
	if err != nil {
		return "", err
	}
	defer unlock()
	if checkBinary(bin, version) == nil {
		return bin, nil // another process built it while we waited
	}
	if err := build(wrapper, bin); err != nil {
		return "", err
	}
	if err := checkBinary(bin, version); err != nil {
		return "", fmt.Errorf("freshly built %s: %w", bin, err)
	}
	return bin, nil
}

// build compiles consul from the wrapper module into bin, atomically.
func build(wrapper, bin string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building consul needs the go command (or set %s): %w", EnvBinary, err)
	}
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	defer os.Remove(tmp)
	out, err := runBounded(buildTimeout, wrapper, env("GOWORK=off", "GOTOOLCHAIN=local"),
		goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", tmp, consulModule)
	if err != nil {
		return fmt.Errorf("building consul in %s: %w\n%s", wrapper, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return fmt.Errorf("installing consul build: %w", err)
	}
	return nil
}

// checkBinary runs `bin version` and, if version is set, checks it.
func checkBinary(bin, version string) error {
	if _, err := os.Stat(bin); err != nil {
		return err
	}
	out, err := runBounded(versionTimeout, "", env(), bin, "version")
	if err != nil {
		return fmt.Errorf("%s version: %w\n%s", bin, err, out)
	}
	if version != "" && !bytes.Contains(out, []byte("Consul "+version+"\n")) {
		return fmt.Errorf("%s is not Consul %s: %q", bin, version, firstLine(out))
	}
	return nil
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}

// repoRoot walks up from the working directory to the main module's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("locating the repository: %w", err)
	}
	for {
		if mod, err := modulePath(filepath.Join(dir, "go.mod")); err == nil && mod == mainModule {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory (set %s)", mainModule, EnvBinary)
		}
		dir = parent
	}
}

// modulePath returns the module path declared in a go.mod file.
func modulePath(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`), nil
		}
	}
	return "", fmt.Errorf("%s declares no module", gomod)
}

// pinnedVersion returns the Consul version the wrapper module requires.
func pinnedVersion(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", fmt.Errorf("consul wrapper module: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(f) >= 2 && f[0] == consulModule && strings.HasPrefix(f[1], "v") {
			return f[1], nil
		}
	}
	return "", errors.New(gomod + " does not require " + consulModule)
}

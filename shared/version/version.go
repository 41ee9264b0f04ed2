// Package version holds the build's version and commit, set at link time
// with -ldflags "-X github.com/photondb-io/photondb/shared/version.Version=...".
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker; the defaults describe a plain `go build`.
var (
	Version = "0.1.0-dev"
	Commit  = ""
)

// CommitOrVCS returns the linked commit, or the VCS revision Go embedded.
func CommitOrVCS() string {
	if Commit != "" {
		return Commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// String is the one-line description `photondb version` prints.
func String() string {
	return fmt.Sprintf("photondb %s (commit %s, %s %s/%s)", Version, CommitOrVCS(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

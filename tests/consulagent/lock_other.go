//go:build !unix

package consulagent

import "time"

// lockFile is a no-op where flock is unavailable; concurrent builds then
// race, and the atomic rename keeps the result whole.
func lockFile(string, time.Duration) (func(), error) { return func() {}, nil }

// Package rendered holds the integration test that applies what
// internal/render builds, for each deployment option, to a real
// kube-apiserver with internal/apply, and removes it again. It has no
// non-test code; it exists so the test can import both render and csidriver.
package rendered

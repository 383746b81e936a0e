package detect

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// semver is a semantic version (https://semver.org): MAJOR.MINOR.PATCH with an optional pre-release; build
// metadata is ignored. A leading "v" is accepted, as image tags often carry one.
type semver struct {
	major, minor, patch int
	pre                 []string
}

func parseSemver(s string) (semver, error) {
	var v semver
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "+")
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return v, errors.New("want MAJOR.MINOR.PATCH")
	}
	nums := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (len(p) > 1 && p[0] == '0') {
			return v, fmt.Errorf("%q is not a version number", p)
		}
		nums[i] = n
	}
	v.major, v.minor, v.patch = nums[0], nums[1], nums[2]
	if hasPre {
		v.pre = strings.Split(pre, ".")
		for _, id := range v.pre {
			if id == "" {
				return v, errors.New("empty pre-release identifier")
			}
		}
	}
	return v, nil
}

func mustSemver(s string) semver {
	v, err := parseSemver(s)
	if err != nil {
		panic(fmt.Sprintf("version %q: %v", s, err)) // only literals of this package reach here
	}
	return v
}

// compare returns -1, 0 or 1 as v is older than, equal to or newer than w (semver precedence).
func (v semver) compare(w semver) int {
	for _, d := range [][2]int{{v.major, w.major}, {v.minor, w.minor}, {v.patch, w.patch}} {
		if c := cmpInt(d[0], d[1]); c != 0 {
			return c
		}
	}
	switch {
	case len(v.pre) == 0 && len(w.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1 // a release is newer than its pre-releases
	case len(w.pre) == 0:
		return -1
	}
	for i := 0; i < len(v.pre) && i < len(w.pre); i++ {
		if c := comparePre(v.pre[i], w.pre[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(v.pre), len(w.pre))
}

// comparePre orders pre-release identifiers: numbers numerically and before words, words as strings.
func comparePre(a, b string) int {
	na, errA := strconv.Atoi(a)
	nb, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return cmpInt(na, nb)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

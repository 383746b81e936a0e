package detect

import (
	"strings"
	"testing"
)

func TestClassifyKFP(t *testing.T) {
	type want struct {
		release, wiring string
		newer           bool
		providers, irsa bool
	}
	cases := map[string]want{
		// every version a real tree ships
		"2.0.0-alpha.7": {"v1.7", "v1.7", false, false, true},
		"2.0.5":         {"v1.8", "v1.8", false, false, true},
		"2.2.0":         {"v1.9.0", "v1.9.0", false, true, true},
		"2.3.0":         {"v1.9.1", "v1.9.1", false, true, true},
		"2.5.0":         {"v1.10", "v1.10", false, true, true},
		"2.15.0":        {"v1.11", "v1.11", false, true, false},
		"2.16.0":        {"26.03", "26.03", false, true, true},
		"2.16.1":        {"26.03.1", "26.03.1", false, true, true},
		// versions no release ships: wired by their range, named after the nearest older release
		"2.0.0":       {"", "v1.7", false, false, true},
		"2.1.0":       {"", "v1.8", false, false, true},
		"2.14.3":      {"", "v1.10", false, true, true},
		"2.15.1":      {"", "v1.11", false, true, false},
		"2.16.1-rc.0": {"", "26.03", false, true, true},
		"v2.5.0":      {"v1.10", "v1.10", false, true, true},
		// newer than the newest: the newest wiring
		"2.17.0":      {"", "26.03.1", true, true, true},
		"2.17.0-rc.1": {"", "26.03.1", true, true, true},
		"3.0.0":       {"", "26.03.1", true, true, true},
	}
	for v, w := range cases {
		r, sv, err := classifyKFP(v)
		if err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		c := kfpCapabilities(sv)
		got := want{r.release, r.wiring, r.newer, c.LauncherProviders, c.APIServerIRSA}
		if got != w {
			t.Errorf("%s: got %+v, want %+v", v, got, w)
		}
	}
	for v, msg := range map[string]string{
		"1.8.5":         "older than the oldest release kfaws knows (v1.7, KFP 2.0.0-alpha.7)",
		"2.0.0-alpha.6": "older than the oldest release",
		"2.16":          "not a semantic version (want MAJOR.MINOR.PATCH)",
		"latest":        "not a semantic version",
		"2.16.x":        `"x" is not a version number`,
		"2.016.0":       "not a version number",
		"2.16.0-":       "empty pre-release identifier",
	} {
		_, _, err := classifyKFP(v)
		if err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "2.16.1 (26.03.1)") {
			t.Errorf("%s: want a refusal saying %q and listing the known versions, got %v", v, msg, err)
		}
	}
}

func TestSemverOrder(t *testing.T) {
	// semver.org §11's example order, then KFP's own tags
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0-alpha.7", "2.0.0-rc.1", "2.0.5", "2.2.0", "2.15.0",
		"2.16.0", "2.16.1+build.5", "2.17.0"}
	for i := range order {
		for j := range order {
			a, b := mustSemver(order[i]), mustSemver(order[j])
			if got, want := a.compare(b), cmpInt(i, j); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

func TestCompareKFP(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"2.5.0", "2.15.0", -1}, {"2.15.0", "2.5.0", 1}, {"v2.16.0", "2.16.0", 0}, {"2.0.0-alpha.7", "2.0.0", -1}} {
		if got, err := CompareKFP(tc.a, tc.b); err != nil || got != tc.want {
			t.Errorf("CompareKFP(%s, %s) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
	if _, err := CompareKFP("master", "2.16.0"); err == nil || !strings.Contains(err.Error(), `"master"`) {
		t.Errorf("CompareKFP of a branch name: %v, want an error naming it", err)
	}
}

func TestDetectNewerAndUnshippedKFP(t *testing.T) {
	l, err := DetectFS(tree("applications", strings.Replace(seedConfig, "2.16.0", "2.17.0", 1), seedKatib, seedEnv), "t")
	if err != nil {
		t.Fatalf("a newer KFP must go on with a warning, got %v", err)
	}
	if !l.Newer || l.Release != "" || l.Wiring != "26.03.1" || !l.Caps.LauncherProviders || !l.Caps.APIServerIRSA {
		t.Errorf("KFP 2.17.0: %+v", l)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "KFP 2.17.0 is newer than the newest KFP kfaws knows (2.16.1") ||
		!strings.Contains(l.Warnings[0], "the wiring of 26.03.1") || !strings.Contains(l.Warnings[0], "providers block") {
		t.Errorf("warning does not name the version and what was assumed: %v", l.Warnings)
	}
	l, err = DetectFS(tree("applications", strings.Replace(seedConfig, "2.16.0", "2.14.3", 1), seedKatib, seedEnv), "t")
	if err != nil {
		t.Fatal(err)
	}
	if l.Release != "" || l.Wiring != "v1.10" || len(l.Warnings) != 1 ||
		!strings.Contains(l.Warnings[0], "KFP 2.14.3 is not the version of any release kfaws knows") {
		t.Errorf("KFP 2.14.3: release %q wiring %q warnings %v", l.Release, l.Wiring, l.Warnings)
	}
}

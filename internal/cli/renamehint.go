package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kfaws/kfaws/internal/operation"
)

// flagFor is the flag that sets a config field, "" when none does.
func flagFor(field string) string {
	for _, o := range configOverrides {
		if o.field == field {
			return o.flag
		}
	}
	return ""
}

// renameHint says how to install beside the installations whose resources the configuration names: the command
// the user ran, with every flag they gave, and the renamed fields as flags (in the file, for fields without one).
func (f *configFlags) renameHint(command string, renames []operation.Rename) string {
	if len(renames) == 0 {
		return ""
	}
	set := map[string]string{}
	var owners, fileOnly []string
	for _, r := range renames {
		if flag := flagFor(r.Field); flag != "" {
			set[flag] = r.Value
		} else {
			fileOnly = append(fileOnly, fmt.Sprintf("%s: %s", r.Field, r.Value))
		}
		if q := fmt.Sprintf("%q", r.Owner); !strings.Contains(strings.Join(owners, ","), q) {
			owners = append(owners, q)
		}
	}
	args := []string{"kfaws", command}
	if f.file != "" {
		args = append(args, "--config", shellQuote(f.file))
	}
	f.fs.Visit(func(fl *pflag.Flag) {
		if _, renamed := set[fl.Name]; !renamed && fl.Name != "config" {
			args = append(args, flagArgs(fl)...)
		}
	})
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		args = append(args, "--"+n, shellQuote(set[n]))
	}
	hint := fmt.Sprintf("These resources belong to kfaws installation %s. To install beside it under names of this "+
		"installation's own, run:\n  %s", strings.Join(owners, ", "), strings.Join(args, " "))
	if len(fileOnly) > 0 {
		hint += "\nafter setting in the config file: " + strings.Join(fileOnly, ", ")
	}
	return hint
}

// flagArgs repeats one flag as given: each value of a list flag on its own.
func flagArgs(fl *pflag.Flag) []string {
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		var out []string
		for _, v := range sv.GetSlice() {
			out = append(out, "--"+fl.Name, shellQuote(v))
		}
		return out
	}
	if fl.Value.Type() == "bool" {
		return []string{"--" + fl.Name + "=" + fl.Value.String()}
	}
	return []string{"--" + fl.Name, shellQuote(fl.Value.String())}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	plain := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@+", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

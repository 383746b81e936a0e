package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// document decodes one YAML node tree into a struct strictly, by the struct's json tags, and collects every
// problem with the line it is on. The tree is walked rather than decoded by a library so that keys match
// exactly (encoding/json matches them ignoring case), duplicates are found (a YAML decoder keeps the last), and
// each problem names the file, line and YAML path.
type document struct {
	file    string
	errs    Errors
	sources map[string]Source
}

// maxProblems stops the walk of a file that is clearly something else: its problems would be thousands of lines
// nobody reads, and finding each one's nearest field name costs time.
const maxProblems = 50

func (d *document) problem(line int, field, value, msg string) {
	d.add(FieldError{Field: field, Value: value, Message: msg, Source: Source{File: d.file, Line: line}})
}

// sentence records a problem whose message names the field itself.
func (d *document) sentence(line int, field, msg string) {
	d.add(FieldError{Field: field, Message: msg, Source: Source{File: d.file, Line: line}, sentence: true})
}

func (d *document) add(fe FieldError) {
	switch {
	case len(d.errs) < maxProblems:
		d.errs = append(d.errs, fe)
	case len(d.errs) == maxProblems:
		d.errs = append(d.errs, FieldError{Message: fmt.Sprintf("stopped after %d problems; is this a kfaws config?", maxProblems),
			Source: Source{File: d.file, Line: fe.Source.Line}})
	}
}

// full reports whether the walk should stop.
func (d *document) full() bool { return len(d.errs) > maxProblems }

// decodeStruct walks mapping node m into the struct v; path is m's YAML path ("" at the top).
func (d *document) decodeStruct(m *yaml.Node, v reflect.Value, path string) {
	fields := yamlFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content) && !d.full(); i += 2 {
		key, val := m.Content[i], m.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			d.sentence(key.Line, path, "a key"+in(path)+" is not a plain name; write field: value")
			continue
		}
		name, full := key.Value, join(path, key.Value)
		if key.Tag == "!!merge" {
			d.sentence(key.Line, full, "merge keys (<<)"+in(path)+" are not supported; write the fields out")
			continue
		}
		if first, dup := seen[name]; dup {
			d.sentence(key.Line, full, fmt.Sprintf("duplicate key %q%s (first at line %d); keep one", name, in(path), first))
			continue
		}
		seen[name] = key.Line
		idx, ok := fields[name]
		if !ok {
			d.sentence(key.Line, full, unknownField(name, path, fields))
			continue
		}
		d.decodeValue(key.Line, val, v.Field(idx), full)
	}
}

// decodeValue decodes n into v. A null (`key:` or `key: ~`) leaves the field unset, as if the key were absent.
func (d *document) decodeValue(line int, n *yaml.Node, v reflect.Value, path string) {
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.problem(line, path, scalarText(n), "must be a mapping of "+path+" fields ("+strings.Join(fieldNames(v.Type()), ", ")+")")
			return
		}
		d.decodeStruct(n, v, path)
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if d.decodeScalar(line, n, elem.Elem(), path) {
			v.Set(elem)
		}
	default:
		d.decodeScalar(line, n, v, path)
	}
}

// decimalRe is a whole number as people write one: no leading zeros, hex, octal, exponent or underscores, which
// YAML would otherwise read silently (`050` is 40 to a YAML 1.1 reader).
var decimalRe = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)$`)

// decodeScalar sets v from scalar n and records the field as given; it reports whether it did.
func (d *document) decodeScalar(line int, n *yaml.Node, v reflect.Value, path string) bool {
	if n.Kind != yaml.ScalarNode {
		d.problem(line, path, "", "must be a single value, not a "+nodeKind(n))
		return false
	}
	switch v.Kind() {
	case reflect.String:
		// Numbers keep their text (engineVersion: 8.4 is "8.4"); a boolean in a name is a mistake more often.
		if n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" {
			d.problem(line, path, n.Value, "must be text; quote it if you mean it as text")
			return false
		}
		v.SetString(n.Value)
	case reflect.Int32, reflect.Int64, reflect.Int:
		if n.Tag != "!!int" || !decimalRe.MatchString(n.Value) {
			d.problem(line, path, n.Value, "must be a whole number written in decimal, such as 50")
			return false
		}
		i, err := strconv.ParseInt(strings.TrimPrefix(n.Value, "+"), 10, v.Type().Bits())
		if err != nil {
			d.problem(line, path, n.Value, "is out of range")
			return false
		}
		v.SetInt(i)
	case reflect.Bool:
		if n.Tag != "!!bool" {
			d.problem(line, path, n.Value, "must be true or false")
			return false
		}
		v.SetBool(strings.EqualFold(n.Value, "true"))
	default:
		panic(fmt.Sprintf("config: field %s has type %s, which the decoder does not know", path, v.Type()))
	}
	d.sources[path] = Source{File: d.file, Line: line}
	return true
}

// maxAliasDepth bounds alias chains; yaml.v3 refuses cycles, this only guards the walk.
const maxAliasDepth = 32

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

// secretKeys are field names people may try for the values kfaws takes only from the environment.
var secretKeys = map[string]string{
	"masterpassword":  EnvDBMasterPassword,
	"password":        EnvDBMasterPassword,
	"accesskeyid":     EnvS3AccessKeyID,
	"accesskey":       EnvS3AccessKeyID,
	"secretaccesskey": EnvS3SecretAccessKey,
	"secretkey":       EnvS3SecretAccessKey,
}

// unknownField says that name is not a field at path, with the nearest field name when one is close.
func unknownField(name, path string, fields map[string]int) string {
	msg := fmt.Sprintf("unknown field %q%s", name, in(path))
	if env, ok := secretKeys[strings.ToLower(name)]; ok {
		return msg + "; secrets never go in the file: set " + env
	}
	if best := nearest(name, fields); best != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", best)
	}
	if section, best := nearestElsewhere(name, path); best != "" {
		return msg + fmt.Sprintf(" (%q belongs under %s)", best, section)
	}
	return msg + " (`kfaws init` writes every field)"
}

// nearest is the field name that differs from name only in case or by at most two edits (one for short names).
func nearest(name string, fields map[string]int) string {
	best, bestDist := "", 3
	if len(name) < 5 {
		bestDist = 2
	}
	for f := range fields {
		if strings.EqualFold(f, name) {
			return f
		}
		if dist := editDistance(strings.ToLower(name), strings.ToLower(f)); dist < bestDist || (dist == bestDist && f < best) {
			best, bestDist = f, dist
		}
	}
	return best
}

// nearestElsewhere finds name among the fields of the sections ("s3", "rds", "iam") other than path.
func nearestElsewhere(name, path string) (section, field string) {
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() != reflect.Struct || tagName(f) == path {
			continue
		}
		if best := nearest(name, yamlFields(f.Type)); best != "" {
			return tagName(f), best
		}
	}
	return "", ""
}

// editDistance is the optimal string alignment distance: insertions, deletions, substitutions and swaps of
// neighbours ("bukcet" is one swap from "bucket").
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// yamlFields maps the YAML keys of struct type t (its json tags) to field indexes; fields tagged "-" have none.
func yamlFields(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := range t.NumField() {
		if name := tagName(t.Field(i)); name != "" {
			fields[name] = i
		}
	}
	return fields
}

// fieldNames lists the YAML keys of struct type t in declaration order.
func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if name := tagName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	return names
}

func tagName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// Fields lists the YAML path of every field of the file format, such as "rds.allocatedStorage".
func Fields() []string {
	var paths []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := tagName(f)
			if name == "" {
				continue
			}
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, join(prefix, name))
				continue
			}
			paths = append(paths, join(prefix, name))
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return paths
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// in is " in s3" for a section, nothing at the top.
func in(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// scalarText is n's value when it is a scalar, for messages.
func scalarText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Environment variables that carry secrets, so they never sit in a file that may be committed.
const (
	EnvS3AccessKeyID     = "KFAWS_S3_ACCESS_KEY_ID"
	EnvS3SecretAccessKey = "KFAWS_S3_SECRET_ACCESS_KEY"
	EnvDBMasterPassword  = "KFAWS_DB_MASTER_PASSWORD"
)

// DefaultStateDir holds state files when the config names none.
const DefaultStateDir = ".kfaws"

// MaxFileSize bounds a config file. The complete file `kfaws init` writes is about 3 KiB, so 256 KiB leaves room
// for any amount of comments, while a wrong path (a log, an image) is refused before parsing: the YAML parser's
// worst case, a file of one long list, was measured at about 0.5 s and 120 MB per MiB.
const MaxFileSize = 256 << 10

// Load reads the config file at path (the --config value) strictly: only a regular file of at most MaxFileSize,
// one YAML or JSON document, a known apiVersion and kind, and Config's fields with their exact names and types.
// It neither defaults nor validates, so flags can still override what the file says; it records where each
// field was given, so Default keeps explicit values and errors point at their line.
func Load(path string) (*Config, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseFile(path, data)
	if err != nil {
		return nil, err
	}
	if c.StateFile != "" && !filepath.IsAbs(c.StateFile) {
		c.StateFile = filepath.Join(filepath.Dir(path), c.StateFile)
	}
	return c, nil
}

// readConfigFile reads path only if it is a regular file within MaxFileSize. It looks before it opens, because
// opening a FIFO blocks until a writer comes and reading a device such as /dev/zero never ends.
func readConfigFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--config %q does not exist; `kfaws init --out %s` writes one", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("--config %q: %w", path, errors.Unwrap(err))
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--config %q: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	// The file may have been replaced between Stat and Open; look again at what was opened.
	if info, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("--config %q: %w", path, err)
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading --config %q: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("--config %q is larger than %d KiB; a kfaws config is a few KiB, is this the right file?", path, MaxFileSize>>10)
	}
	return data, nil
}

func checkRegular(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		if info.Size() > MaxFileSize {
			return fmt.Errorf("--config %q is %d KiB, larger than the %d KiB kfaws reads; a kfaws config is a few KiB, is this the right file?",
				path, info.Size()>>10, MaxFileSize>>10)
		}
		return nil
	}
	return fmt.Errorf("--config %q is %s, not a regular file; give the path of a kfaws.yaml file", path, fileKind(info.Mode()))
}

// fileKind names what a non-regular file is, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// Parse decodes one YAML or JSON document into a Config, as Load does for a file; errors give lines only.
func Parse(data []byte) (*Config, error) { return ParseFile("", data) }

// ParseFile decodes data, the content of the file called name, into a Config: it reads the document's apiVersion
// and kind first and decodes the rest with that version's decoder. Every problem is reported at once, as Errors
// naming name, the line and the field.
func ParseFile(name string, data []byte) (*Config, error) {
	d := &document{file: name, sources: map[string]Source{}}
	root := d.single(data)
	if root == nil {
		return nil, d.errs
	}
	f := formatOf(root)
	decode, ok := decoders[f.apiVersion]
	switch {
	case f.apiVersion == "":
		d.problem(f.apiVersionLine, "apiVersion", "", fmt.Sprintf("required; a kfaws config starts with apiVersion: %s and kind: %s", APIVersion, Kind))
	case !ok:
		d.problem(f.apiVersionLine, "apiVersion", f.apiVersion, "is not a format this kfaws reads; want "+knownVersions())
	}
	if f.kind != Kind {
		d.problem(f.kindLine, "kind", f.kind, "must be "+Kind)
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	c := decode(d, root)
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return c, nil
}

// decoders read each config format kfaws knows into the current Config. A new format adds its decoder here:
// it decodes the tree into its own type (d.decodeStruct does that strictly for any struct) and converts it, so
// files of every listed version keep loading.
var decoders = map[string]func(d *document, root *yaml.Node) *Config{
	APIVersion: decodeV1alpha1,
}

// decodeV1alpha1 decodes the current format, in which the file has Config's own shape.
func decodeV1alpha1(d *document, root *yaml.Node) *Config {
	c := &Config{}
	d.decodeStruct(root, reflect.ValueOf(c).Elem(), "")
	c.sources = d.sources
	return c
}

// single parses data as exactly one YAML document whose content is a mapping and returns that mapping, or nil
// with the problem recorded. Anything after the first document is refused, whether a second document or text
// after an end marker ("..."): a reader that stops early would silently ignore it.
func (d *document) single(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		d.problem(0, "", "", "the file is empty; `kfaws init` writes a complete one")
		return nil
	} else if err != nil {
		d.syntax(err)
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.afterEnd(data, err)
		return nil
	default:
		d.problem(next.Line, "", "", "a second YAML document starts here; kfaws reads one document per file")
		return nil
	}
	if len(doc.Content) == 0 {
		d.problem(0, "", "", "the file is empty; `kfaws init` writes a complete one")
		return nil
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		d.problem(root.Line, "", "", fmt.Sprintf("the file holds a %s; a kfaws config is a mapping starting with apiVersion: %s", nodeKind(root), APIVersion))
		return nil
	}
	return root
}

// format is what a document says it is, read before the rest so the right decoder reads the rest.
type format struct {
	apiVersion, kind         string
	apiVersionLine, kindLine int
}

// endMarkerRe is a document end marker: "..." at the start of a line, alone or before a comment.
var endMarkerRe = regexp.MustCompile(`^\.\.\.(\s|$)`)

// afterEnd reports text after an end-of-document marker ("...") at the first line of that text; the parser's
// own line for this error is not where the text is.
func (d *document) afterEnd(data []byte, err error) {
	lines := strings.Split(string(data), "\n")
	for marker, text := range lines {
		if !endMarkerRe.MatchString(text) {
			continue
		}
		for i := marker + 1; i < len(lines); i++ {
			if text := strings.TrimSpace(lines[i]); text != "" && !strings.HasPrefix(text, "#") {
				d.problem(i+1, "", "", fmt.Sprintf("there is more after the end of the first YAML document (\"...\" at line %d); kfaws reads one document per file, remove what follows", marker+1))
				return
			}
		}
	}
	line, _ := yamlErrorLine(err)
	d.problem(line, "", "", "there is more after the first YAML document; kfaws reads one document per file ("+yamlErrorText(err)+")")
}

// formatOf returns the document's apiVersion and kind (empty when absent or not text) and their lines.
func formatOf(root *yaml.Node) format {
	f := format{apiVersionLine: root.Line, kindLine: root.Line}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolveAlias(root.Content[i+1])
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			continue
		}
		switch {
		case k.Value == "apiVersion" && f.apiVersion == "":
			f.apiVersion, f.apiVersionLine = v.Value, k.Line
		case k.Value == "kind" && f.kind == "":
			f.kind, f.kindLine = v.Value, k.Line
		}
	}
	return f
}

func knownVersions() string {
	versions := make([]string, 0, len(decoders))
	for v := range decoders {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	return strings.Join(versions, " or ")
}

var yamlErrorRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlErrorLine(err error) (int, bool) {
	m := yamlErrorRe.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	n, convErr := strconv.Atoi(m[1])
	return n, convErr == nil
}

// yamlErrorText is the parser's message without its "yaml: line N:" prefix.
func yamlErrorText(err error) string {
	if m := yamlErrorRe.FindStringSubmatch(err.Error()); m != nil {
		return m[2]
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// syntax records a YAML syntax error at its line.
func (d *document) syntax(err error) {
	line, _ := yamlErrorLine(err)
	msg := "not valid YAML: " + yamlErrorText(err)
	if strings.Contains(msg, "cannot start any token") {
		msg += " (a tab cannot indent YAML; use spaces)"
	}
	d.problem(line, "", "", msg)
}

// ApplyEnv copies the secrets kfaws accepts only from the environment into c, from lookup (os.LookupEnv).
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) {
	if v, ok := lookup(EnvS3AccessKeyID); ok {
		c.S3.AccessKeyID = v
	}
	if v, ok := lookup(EnvS3SecretAccessKey); ok {
		c.S3.SecretAccessKey = v
	}
	if v, ok := lookup(EnvDBMasterPassword); ok {
		c.RDS.MasterPassword, c.masterPasswordSet = v, true
	}
}

// StatePath is where this installation's state file lives.
func (c *Config) StatePath() string {
	if c.StateFile != "" {
		return c.StateFile
	}
	return filepath.Join(DefaultStateDir, c.Name+".state.json")
}

package config

import (
	"fmt"
	"strings"
)

// Source is where a field's value was given: a line of the config file, or a flag. A field with no recorded
// Source was not given and takes its default.
type Source struct {
	// File is the config file as the user named it, Line the line of the field's key in it.
	File string
	Line int
	// Flag is the flag that set the value, e.g. "--db-allocated-storage".
	Flag string
}

// position is "kfaws.yaml line 7", or what part of it is known.
func (s Source) position() string {
	switch {
	case s.File != "" && s.Line > 0:
		return fmt.Sprintf("%s line %d", s.File, s.Line)
	case s.Line > 0:
		return fmt.Sprintf("line %d", s.Line)
	}
	return s.File
}

// FieldError is one problem with one field of the configuration.
type FieldError struct {
	// Field is the YAML path of the field, e.g. "rds.allocatedStorage", or the environment variable that
	// carried the value, e.g. "KFAWS_DB_MASTER_PASSWORD".
	Field   string
	Value   string
	Message string
	// Source is where the value was given, so the message can point there.
	Source Source
	// sentence marks a Message that names the field itself (`unknown field "bukcet" in s3`).
	sentence bool
}

// maxShownValue bounds how much of a value a message repeats, so a runaway value cannot flood the terminal.
const maxShownValue = 80

func (e FieldError) Error() string {
	var b strings.Builder
	if p := e.Source.position(); p != "" {
		b.WriteString(p + ": ")
	}
	if e.sentence || e.Field == "" {
		b.WriteString(e.Message)
		return b.String()
	}
	b.WriteString(e.Field)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", shorten(e.Value))
	}
	if e.Source.Flag != "" {
		fmt.Fprintf(&b, " (from %s)", e.Source.Flag)
	}
	b.WriteString(": " + e.Message)
	return b.String()
}

func shorten(s string) string {
	if r := []rune(s); len(r) > maxShownValue {
		return string(r[:maxShownValue]) + "..."
	}
	return s
}

// Errors is every problem found in the configuration: by Load in file order, by Validate in field order.
type Errors []FieldError

func (e Errors) Error() string {
	if len(e) == 1 {
		return "invalid configuration: " + e[0].Error()
	}
	lines := make([]string, 0, len(e)+1)
	lines = append(lines, fmt.Sprintf("invalid configuration (%d problems):", len(e)))
	for _, fe := range e {
		lines = append(lines, "  - "+fe.Error())
	}
	return strings.Join(lines, "\n")
}

// Given reports whether field (a YAML path such as "rds.allocatedStorage") was set by the file or a flag, even
// to a zero value; Default fills only the fields not given.
func (c *Config) Given(field string) bool {
	_, ok := c.sources[field]
	return ok
}

// SetSource records that field was given, and where, so Default keeps its value and errors point there.
func (c *Config) SetSource(field string, s Source) {
	if c.sources == nil {
		c.sources = map[string]Source{}
	}
	c.sources[field] = s
}

// SourceOf returns where field was given, or the zero Source.
func (c *Config) SourceOf(field string) Source { return c.sources[field] }

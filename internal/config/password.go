package config

import (
	"fmt"
	"unicode/utf8"
)

// RDS for MySQL's bounds on MasterUserPassword (CreateDBInstance API reference: 8 to 41 characters).
const (
	minMasterPassword = 8
	maxMasterPassword = 41
)

// validateMasterPassword checks KFAWS_DB_MASTER_PASSWORD against what RDS for MySQL accepts, so a bad one is
// refused before any resource exists rather than by CreateDBInstance after the bucket, roles and secret do.
// Messages name the variable and never the value, nor which character is wrong.
func (c *Config) validateMasterPassword(v *validator) {
	p := c.RDS.MasterPassword
	if p == "" {
		if c.masterPasswordSet {
			v.add(EnvDBMasterPassword, "", "is set but empty; unset it to have Secrets Manager generate the password, or give one")
		}
		return
	}
	if n := utf8.RuneCountInString(p); n < minMasterPassword || n > maxMasterPassword {
		v.add(EnvDBMasterPassword, "", fmt.Sprintf("must be %d to %d characters long for RDS for MySQL; it has %d (the value is not shown)",
			minMasterPassword, maxMasterPassword, n))
	}
	if !masterPasswordChars(p) {
		v.add(EnvDBMasterPassword, "", `may hold only printable ASCII characters other than /, @, " and space (RDS for MySQL's rule); it holds another (the value is not shown)`)
	}
}

// masterPasswordChars reports whether every character is printable ASCII other than / @ " and space. RDS's API
// reference lists / " @; the space is refused too, as Lightsail's MySQL rule says outright, since every shell
// and most connection strings that pass the password on split on it.
func masterPasswordChars(p string) bool {
	for i := range len(p) {
		switch b := p[i]; {
		case b <= ' ' || b > '~', b == '/', b == '@', b == '"':
			return false
		}
	}
	return true
}

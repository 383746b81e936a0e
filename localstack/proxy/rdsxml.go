package proxy

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	reDBInstance = regexp.MustCompile(`(?s)<DBInstance>.*?</DBInstance>`)
	reIdentifier = regexp.MustCompile(`<DBInstanceIdentifier>([^<]*)</DBInstanceIdentifier>`)
	reStatus     = regexp.MustCompile(`<DBInstanceStatus>([^<]*)</DBInstanceStatus>`)
	reEndpoint   = regexp.MustCompile(`(?s)<Endpoint>.*?</Endpoint>`)
	rePort       = regexp.MustCompile(`<DbInstancePort>[0-9]*</DbInstancePort>`)
)

// rewriteInstances edits every <DBInstance> of an RDS response that the
// proxy backs: the endpoint becomes the MariaDB server and, while the
// emulated creation delay runs, the status is creating or backing-up. Like
// RDS, an instance that is still creating has no endpoint yet.
func (p *rdsPlane) rewriteInstances(body []byte, now time.Time) []byte {
	return reDBInstance.ReplaceAllFunc(body, func(block []byte) []byte {
		m := reIdentifier.FindSubmatch(block)
		if m == nil {
			return block
		}
		in, ok := p.lookup(string(m[1]))
		if !ok {
			return block
		}
		status := in.status(now)
		if s := reStatus.FindSubmatch(block); s == nil || string(s[1]) != StatusAvailable {
			status = "" // moto's own non-available states (deleting, stopped) win
		}
		if status != "" {
			block = reStatus.ReplaceAll(block, []byte("<DBInstanceStatus>"+status+"</DBInstanceStatus>"))
		}
		endpoint := fmt.Sprintf("<Endpoint><Address>%s</Address><Port>%d</Port></Endpoint>", p.host, p.port)
		if status == StatusCreating {
			endpoint = ""
		}
		block = reEndpoint.ReplaceAll(block, []byte(endpoint))
		return rePort.ReplaceAll(block, []byte("<DbInstancePort>"+strconv.Itoa(p.port)+"</DbInstancePort>"))
	})
}

// rdsBeforeForward checks a request before moto sees it; a non-empty code
// rejects it with that error.
func (p *rdsPlane) rdsBeforeForward(op Operation) (code, msg string) {
	id, user := op.Form.Get("DBInstanceIdentifier"), op.Form.Get("MasterUsername")
	switch op.Action {
	case "CreateDBInstance":
	case "RestoreDBInstanceFromDBSnapshot":
		s, _ := p.snapshotOf(op.Form.Get("DBSnapshotIdentifier"))
		user = s.user
	default:
		return "", ""
	}
	switch user {
	case "root", "mariadb.sys", "mysql":
		return "InvalidParameterValue", fmt.Sprintf("MasterUsername %q is reserved by the local MariaDB server; choose another name", user)
	}
	if other := p.clash(id, user); user != "" && other != "" {
		return "InvalidParameterCombination", fmt.Sprintf(
			"local stack: master user %q is already used by instance %q and all instances share one MariaDB server; use another MasterUsername or delete %q first",
			user, other, other)
	}
	return "", ""
}

// rdsAfterForward applies a successful RDS call to the data plane and
// returns the response body to send. A data-plane failure becomes an error
// the caller sends instead.
func (p *rdsPlane) rdsAfterForward(ctx context.Context, op Operation, status int, body []byte) ([]byte, error) {
	if status != http.StatusOK {
		return body, nil
	}
	f := op.Form
	switch op.Action {
	case "CreateDBInstance":
		if !isMySQLEngine(f.Get("Engine")) {
			break
		}
		version := f.Get("EngineVersion")
		if version == "" {
			version = xmlField(body, "EngineVersion")
		}
		native := p.wantsNative(f.Get("DBParameterGroupName"), version)
		if err := p.create(ctx, f.Get("DBInstanceIdentifier"), f.Get("MasterUsername"),
			f.Get("MasterUserPassword"), f.Get("DBName"), native); err != nil {
			return nil, err
		}
	case "RestoreDBInstanceFromDBSnapshot":
		if !isMySQLEngine(xmlField(body, "Engine")) {
			break
		}
		if err := p.restore(ctx, f.Get("DBInstanceIdentifier"), f.Get("DBSnapshotIdentifier"), f.Get("DBName")); err != nil {
			return nil, err
		}
	case "CreateDBSnapshot":
		p.takeSnapshot(f.Get("DBInstanceIdentifier"), f.Get("DBSnapshotIdentifier"))
	case "DeleteDBSnapshot":
		p.forgetSnapshot(f.Get("DBSnapshotIdentifier"))
	case "ModifyDBInstance":
		if pw := f.Get("MasterUserPassword"); pw != "" {
			if err := p.setPassword(ctx, f.Get("DBInstanceIdentifier"), pw); err != nil {
				return nil, err
			}
		}
	case "DeleteDBInstance":
		if f.Get("SkipFinalSnapshot") != "true" {
			p.takeSnapshot(f.Get("DBInstanceIdentifier"), f.Get("FinalDBSnapshotIdentifier"))
		}
		if err := p.remove(ctx, f.Get("DBInstanceIdentifier")); err != nil {
			return nil, err
		}
		return body, nil
	case "ModifyDBParameterGroup":
		p.recordParameters(f)
	case "ResetDBParameterGroup", "DeleteDBParameterGroup":
		p.forgetGroup(f.Get("DBParameterGroupName"))
	}
	return p.rewriteInstances(body, p.now()), nil
}

func isMySQLEngine(engine string) bool {
	return engine == "mysql" || engine == "mariadb"
}

// xmlField returns the text of the first <name> element in body.
func xmlField(body []byte, name string) string {
	s := string(body)
	start := strings.Index(s, "<"+name+">")
	if start < 0 {
		return ""
	}
	s = s[start+len(name)+2:]
	end := strings.Index(s, "<")
	if end < 0 {
		return ""
	}
	return s[:end]
}

// xmlText escapes s for use as XML character data.
func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

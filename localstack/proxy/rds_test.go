package proxy

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestInstanceStatus(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := instance{created: created, delay: 30 * time.Second}
	for _, tc := range []struct {
		after time.Duration
		want  string
	}{
		{0, StatusCreating}, {19 * time.Second, StatusCreating}, {20 * time.Second, StatusBackingUp},
		{29 * time.Second, StatusBackingUp}, {30 * time.Second, StatusAvailable}, {time.Hour, StatusAvailable},
	} {
		if got := in.status(created.Add(tc.after)); got != tc.want {
			t.Errorf("status after %s = %q, want %q", tc.after, got, tc.want)
		}
	}
	if got := (&instance{created: created}).status(created); got != StatusAvailable {
		t.Errorf("status without delay = %q, want available", got)
	}
}

func TestWantsNative(t *testing.T) {
	p := newRDSPlane(nil, "127.0.0.1", 3306, nil)
	set := func(group, name, value string) {
		p.recordParameters(url.Values{"DBParameterGroupName": {group},
			"Parameters.Parameter.1.ParameterName": {"character_set_server"}, "Parameters.Parameter.1.ParameterValue": {"utf8mb4"},
			"Parameters.Parameter.2.ParameterName": {name}, "Parameters.Parameter.2.ParameterValue": {value}})
	}
	set("g84", "authentication_policy", "mysql_native_password,,")
	set("g84star", "authentication_policy", "*,,")
	set("g84any", "authentication_policy", "*:mysql_native_password")
	set("g84anysha", "authentication_policy", "*:caching_sha2_password,,")
	set("g80", "default_authentication_plugin", "caching_sha2_password")
	p.recordParameters(url.Values{"DBParameterGroupName": {"gmember"},
		"Parameters.member.1.ParameterName": {"authentication_policy"}, "Parameters.member.1.ParameterValue": {"mysql_native_password"}})
	for _, tc := range []struct {
		group, version string
		want           bool
	}{
		{"g84", "8.4.7", true}, {"g84star", "8.4.7", false}, {"g84any", "8.4.7", true}, {"g84anysha", "8.4.7", false}, {"g80", "8.0.40", false}, {"gmember", "8.4.7", true},
		{"", "8.4.7", false}, {"", "8.0.40", true}, {"", "5.7.44", true}, {"", "9.1.0", false}, {"other", "8.0.36", true},
	} {
		if got := p.wantsNative(tc.group, tc.version); got != tc.want {
			t.Errorf("wantsNative(%q, %q) = %v, want %v", tc.group, tc.version, got, tc.want)
		}
	}
	p.forgetGroup("g84")
	if p.wantsNative("g84", "8.4.7") {
		t.Error("forgotten group still selects native")
	}
}

func TestRewriteInstances(t *testing.T) {
	p := newRDSPlane(nil, "127.0.0.1", 4406, nil)
	now := time.Now()
	p.instances["ours"] = &instance{id: "ours", created: now, delay: time.Minute}
	body := `<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances>` +
		`<DBInstance><DBInstanceIdentifier>ours</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus>` +
		`<Endpoint><Address>ours.aaaaaaaaaa.us-east-1.rds.amazonaws.com</Address><Port>3306</Port></Endpoint>` +
		`<DbInstancePort>3306</DbInstancePort><ReadReplicaDBInstanceIdentifiers/></DBInstance>` +
		`<DBInstance><DBInstanceIdentifier>theirs</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus>` +
		`<Endpoint><Address>theirs.example</Address><Port>3306</Port></Endpoint></DBInstance>` +
		`</DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>`

	creating := string(p.rewriteInstances([]byte(body), now))
	ours, theirs, _ := strings.Cut(creating, "theirs")
	if !strings.Contains(ours, "<DBInstanceStatus>creating</DBInstanceStatus>") || strings.Contains(ours, "<Endpoint>") {
		t.Errorf("creating instance: %s", ours)
	}
	if !strings.Contains(theirs, "<Address>theirs.example</Address>") {
		t.Errorf("instance the proxy did not create was changed: %s", theirs)
	}

	done := string(p.rewriteInstances([]byte(body), now.Add(time.Hour)))
	for _, want := range []string{"<DBInstanceStatus>available</DBInstanceStatus>",
		"<Endpoint><Address>127.0.0.1</Address><Port>4406</Port></Endpoint>", "<DbInstancePort>4406</DbInstancePort>"} {
		if !strings.Contains(done, want) {
			t.Errorf("available instance lacks %s: %s", want, done)
		}
	}

	deleting := strings.Replace(body, "<DBInstanceStatus>available", "<DBInstanceStatus>deleting", 1)
	if got := string(p.rewriteInstances([]byte(deleting), now)); !strings.Contains(got, "<DBInstanceStatus>deleting</DBInstanceStatus>") {
		t.Errorf("moto's deleting state was overridden: %s", got)
	}
}

func TestBeforeForwardRefusesClashesAndReservedUsers(t *testing.T) {
	p := newRDSPlane(nil, "127.0.0.1", 3306, nil)
	p.instances["a"] = &instance{id: "a", user: "admin"}
	op := func(id, user string) Operation {
		return Operation{Service: "rds", Action: "CreateDBInstance",
			Form: url.Values{"DBInstanceIdentifier": {id}, "MasterUsername": {user}}}
	}
	if code, msg := p.rdsBeforeForward(op("b", "admin")); code != "InvalidParameterCombination" || !strings.Contains(msg, `"a"`) {
		t.Errorf("clash: %q %q", code, msg)
	}
	if code, _ := p.rdsBeforeForward(op("b", "root")); code != "InvalidParameterValue" {
		t.Errorf("root: code %q, want InvalidParameterValue", code)
	}
	if code, _ := p.rdsBeforeForward(op("b", "other")); code != "" {
		t.Errorf("distinct user refused with %q", code)
	}
}

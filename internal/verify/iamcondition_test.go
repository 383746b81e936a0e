package verify

import (
	"testing"

	"github.com/kfaws/kfaws/internal/plan"
)

// The profile policy kfaws writes, evaluated as IAM would for the calls a profile's pipelines make: with the
// namespace written out (IRSA, one role per profile) and with the Pod Identity session tag (one shared role).
func TestEvaluateProfilePolicy(t *testing.T) {
	const bucket = "arn:aws:s3:::b"
	own, other := bucket+"/private-artifacts/team-a/run/x", bucket+"/private-artifacts/team-b/run/x"
	tagA := map[string]string{"aws:PrincipalTag/kubernetes-namespace": "team-a"}
	list := func(tags map[string]string, prefix string) request {
		keys := map[string]string{"s3:prefix": prefix}
		for k, v := range tags {
			keys[k] = v
		}
		return request{action: "s3:ListBucket", resource: bucket, keys: keys}
	}
	listNoPrefix := func(tags map[string]string) request {
		return request{action: "s3:ListBucket", resource: bucket, keys: tags, absent: []string{"s3:prefix"}}
	}
	obj := func(action, res string, tags map[string]string) request {
		return request{action: action, resource: res, keys: tags}
	}
	cases := []struct {
		name string
		ns   string
		req  request
		want Decision
	}{
		{"irsa write own", "team-a", obj("s3:PutObject", own, nil), Allowed},
		{"irsa read own", "team-a", obj("s3:GetObject", own, nil), Allowed},
		{"irsa delete own", "team-a", obj("s3:DeleteObject", own, nil), Allowed},
		{"irsa read other", "team-a", obj("s3:GetObject", other, nil), ImplicitNo},
		{"irsa prefix is not a name prefix", "team-a", obj("s3:GetObject", bucket+"/private-artifacts/team-ab/x", nil), ImplicitNo},
		{"irsa list own", "team-a", list(nil, "private-artifacts/team-a/"), Allowed},
		{"irsa list own subfolder", "team-a", list(nil, "private-artifacts/team-a/run/"), Allowed},
		{"irsa list other", "team-a", list(nil, "private-artifacts/team-b/"), ImplicitNo},
		{"irsa list whole bucket, empty prefix", "team-a", list(nil, ""), ImplicitNo},
		{"irsa list whole bucket, no prefix", "team-a", listNoPrefix(nil), ImplicitNo},
		{"irsa list prefix unknown", "team-a", request{action: "s3:ListBucket", resource: bucket}, Conditional},
		{"irsa bucket location", "team-a", obj("s3:GetBucketLocation", bucket, nil), Allowed},
		{"tag write own", plan.NamespaceTag, obj("s3:PutObject", own, tagA), Allowed},
		{"tag delete own", plan.NamespaceTag, obj("s3:DeleteObject", own, tagA), Allowed},
		{"tag read other", plan.NamespaceTag, obj("s3:GetObject", other, tagA), ImplicitNo},
		{"tag list own", plan.NamespaceTag, list(tagA, "private-artifacts/team-a/"), Allowed},
		{"tag list other", plan.NamespaceTag, list(tagA, "private-artifacts/team-b/"), ImplicitNo},
		{"tag list whole bucket", plan.NamespaceTag, listNoPrefix(tagA), ImplicitNo},
		{"tag key compares case-insensitively", plan.NamespaceTag,
			obj("s3:GetObject", own, map[string]string{"AWS:principaltag/Kubernetes-Namespace": "team-a"}), Allowed},
		{"no session tag matches nothing", plan.NamespaceTag, obj("s3:GetObject", own, nil), ImplicitNo},
		{"no session tag lists nothing", plan.NamespaceTag, list(nil, "private-artifacts/team-a/"), ImplicitNo},
		{"tag cannot widen with a wildcard value", plan.NamespaceTag,
			obj("s3:GetObject", other, map[string]string{"aws:PrincipalTag/kubernetes-namespace": "*"}), ImplicitNo},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parsePolicy(plan.ProfilePolicy("aws", "us-east-1", "b", "", tc.ns))
			if err != nil {
				t.Fatal(err)
			}
			if got := evaluateRequest([]policyDocument{d}, tc.req); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// The KMS statement of kfaws's policies stays undecided unless the request says which service calls.
func TestEvaluateKMSViaService(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:123456789012:key/k"
	d, err := parsePolicy(plan.ProfilePolicy("aws", "us-east-1", "b", key, "team-a"))
	if err != nil {
		t.Fatal(err)
	}
	docs := []policyDocument{d}
	if got := evaluate(docs, "kms:Decrypt", key); got != Conditional {
		t.Errorf("without context: %s", got)
	}
	via := func(host string) Decision {
		return evaluateRequest(docs, request{action: "kms:Decrypt", resource: key, keys: map[string]string{"kms:ViaService": host}})
	}
	if got := via("s3.us-east-1.amazonaws.com"); got != Allowed {
		t.Errorf("through S3: %s", got)
	}
	if got := via("secretsmanager.us-east-1.amazonaws.com"); got != ImplicitNo {
		t.Errorf("through Secrets Manager: %s", got)
	}
}

func TestEvaluateConditions(t *testing.T) {
	doc := func(effect, cond string) string {
		return `{"Statement":[{"Effect":"` + effect + `","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `}]}`
	}
	allowAll := `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`
	withAllow := func(deny string) string {
		return `{"Statement":[` + allowAll + `,{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":` + deny + `}]}`
	}
	ctx := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name, doc string
		keys      map[string]string
		absent    []string
		want      Decision
	}{
		{"equals", doc("Allow", `{"StringEquals":{"k":"v"}}`), ctx("k", "v"), nil, Allowed},
		{"equals other", doc("Allow", `{"StringEquals":{"k":"v"}}`), ctx("k", "w"), nil, ImplicitNo},
		{"equals is case-sensitive", doc("Allow", `{"StringEquals":{"k":"v"}}`), ctx("k", "V"), nil, ImplicitNo},
		{"equals does not wildcard", doc("Allow", `{"StringEquals":{"k":"v*"}}`), ctx("k", "vv"), nil, ImplicitNo},
		{"any of a list", doc("Allow", `{"StringEquals":{"k":["a","v"]}}`), ctx("k", "v"), nil, Allowed},
		{"key names fold", doc("Allow", `{"StringEquals":{"K":"v"}}`), ctx("k", "v"), nil, Allowed},
		{"equals missing key", doc("Allow", `{"StringEquals":{"k":"v"}}`), nil, []string{"k"}, ImplicitNo},
		{"equals unknown key", doc("Allow", `{"StringEquals":{"k":"v"}}`), nil, nil, Conditional},
		{"equals if exists, missing", doc("Allow", `{"StringEqualsIfExists":{"k":"v"}}`), nil, []string{"k"}, Allowed},
		{"equals if exists, other", doc("Allow", `{"StringEqualsIfExists":{"k":"v"}}`), ctx("k", "w"), nil, ImplicitNo},
		{"not equals", doc("Allow", `{"StringNotEquals":{"k":["a","b"]}}`), ctx("k", "v"), nil, Allowed},
		{"not equals one of", doc("Allow", `{"StringNotEquals":{"k":["a","v"]}}`), ctx("k", "v"), nil, ImplicitNo},
		{"not equals missing key", doc("Allow", `{"StringNotEquals":{"k":"v"}}`), nil, []string{"k"}, Allowed},
		{"ignore case", doc("Allow", `{"StringEqualsIgnoreCase":{"k":"Team-A"}}`), ctx("k", "team-a"), nil, Allowed},
		{"not equals ignore case", doc("Allow", `{"StringNotEqualsIgnoreCase":{"k":"Team-A"}}`), ctx("k", "team-a"), nil, ImplicitNo},
		{"like", doc("Allow", `{"StringLike":{"k":"a/*/c?"}}`), ctx("k", "a/b/b/cd"), nil, Allowed},
		{"like no match", doc("Allow", `{"StringLike":{"k":"a/*"}}`), ctx("k", "b/a"), nil, ImplicitNo},
		{"not like", doc("Allow", `{"StringNotLike":{"k":"a/*"}}`), ctx("k", "a/x"), nil, ImplicitNo},
		{"not like missing key", doc("Allow", `{"StringNotLike":{"k":"a/*"}}`), nil, []string{"k"}, Allowed},
		{"not like if exists, other", doc("Allow", `{"StringNotLikeIfExists":{"k":"a/*"}}`), ctx("k", "b"), nil, Allowed},
		{"bool", doc("Allow", `{"Bool":{"aws:SecureTransport":"true"}}`), ctx("aws:SecureTransport", "true"), nil, Allowed},
		{"bool as JSON", doc("Allow", `{"Bool":{"aws:SecureTransport":true}}`), ctx("aws:SecureTransport", "TRUE"), nil, Allowed},
		{"bool false", doc("Allow", `{"Bool":{"aws:SecureTransport":"true"}}`), ctx("aws:SecureTransport", "false"), nil, ImplicitNo},
		{"bool missing", doc("Allow", `{"Bool":{"aws:SecureTransport":"true"}}`), nil, []string{"aws:SecureTransport"}, ImplicitNo},
		{"bool if exists missing", doc("Allow", `{"BoolIfExists":{"aws:SecureTransport":"true"}}`), nil, []string{"aws:SecureTransport"}, Allowed},
		{"null true", doc("Allow", `{"Null":{"k":"true"}}`), nil, []string{"k"}, Allowed},
		{"null false", doc("Allow", `{"Null":{"k":"true"}}`), ctx("k", "v"), nil, ImplicitNo},
		{"keys are ANDed", doc("Allow", `{"StringEquals":{"a":"1","b":"2"}}`), ctx("a", "1", "b", "3"), nil, ImplicitNo},
		{"operators are ANDed", doc("Allow", `{"StringEquals":{"a":"1"},"StringLike":{"b":"2*"}}`), ctx("a", "1", "b", "23"), nil, Allowed},
		{"unimplemented operator", doc("Allow", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), ctx("aws:SourceIp", "10.1.1.1"), nil, Conditional},
		{"set operator", doc("Allow", `{"ForAnyValue:StringEquals":{"k":"v"}}`), ctx("k", "v"), nil, Conditional},
		{"false beats undecided", doc("Allow", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"k":"v"}}`), ctx("k", "w"), nil, ImplicitNo},
		{"variable in value", doc("Allow", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`),
			ctx("s3:prefix", "home/ann/x", "aws:username", "ann"), nil, Allowed},
		{"variable of another", doc("Allow", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`),
			ctx("s3:prefix", "home/bob/x", "aws:username", "ann"), nil, ImplicitNo},
		{"variable missing", doc("Allow", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`),
			ctx("s3:prefix", "home//x"), nil, ImplicitNo},
		{"escaped star is literal", doc("Allow", `{"StringLike":{"k":"a${*}"}}`), ctx("k", "ab"), nil, ImplicitNo},
		{"escaped star matches a star", doc("Allow", `{"StringLike":{"k":"a${*}${?}${$}"}}`), ctx("k", "a*?$"), nil, Allowed},
		{"deny decided", withAllow(`{"StringEquals":{"k":"v"}}`), ctx("k", "v"), nil, Denied},
		{"deny not applying", withAllow(`{"StringEquals":{"k":"v"}}`), ctx("k", "w"), nil, Allowed},
		{"deny undecided is ignored", withAllow(`{"Bool":{"aws:SecureTransport":"false"}}`), nil, nil, Allowed},
		{"empty condition", doc("Allow", `{}`), nil, nil, Allowed},
		{"malformed value", doc("Allow", `{"StringEquals":{"k":{"x":1}}}`), ctx("k", "v"), nil, Conditional},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parsePolicy(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			req := request{action: "s3:GetObject", resource: "arn:aws:s3:::b/k", keys: tc.keys, absent: tc.absent}
			if got := evaluateRequest([]policyDocument{d}, req); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestResourceVariables(t *testing.T) {
	const doc = `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"},
		{"Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::b/home/${aws:username}/*"}]}`
	d, err := parsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, action, resource string
		keys                   map[string]string
		want                   Decision
	}{
		{"own", "s3:GetObject", "arn:aws:s3:::b/home/ann/x", map[string]string{"aws:username": "ann"}, Allowed},
		{"other", "s3:GetObject", "arn:aws:s3:::b/home/bob/x", map[string]string{"aws:username": "ann"}, ImplicitNo},
		{"missing key matches nothing", "s3:GetObject", "arn:aws:s3:::b/home/${aws:username}/x", nil, ImplicitNo},
		{"not resource own", "s3:PutObject", "arn:aws:s3:::b/home/ann/x", map[string]string{"aws:username": "ann"}, ImplicitNo},
		{"not resource other", "s3:PutObject", "arn:aws:s3:::b/home/bob/x", map[string]string{"aws:username": "ann"}, Allowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := request{action: tc.action, resource: tc.resource, keys: tc.keys}
			if got := evaluateRequest([]policyDocument{d}, req); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

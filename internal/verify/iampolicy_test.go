package verify

import "testing"

func TestEvaluate(t *testing.T) {
	const kfaws = `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":"arn:aws:s3:::b"},
	 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::b/*"}]}`
	cases := []struct {
		name, doc, action, resource string
		want                        Decision
	}{
		{"object write", kfaws, "s3:PutObject", "arn:aws:s3:::b/v2/artifacts/x", Allowed},
		{"list", kfaws, "s3:ListBucket", "arn:aws:s3:::b", Allowed},
		{"other bucket", kfaws, "s3:GetObject", "arn:aws:s3:::other/x", ImplicitNo},
		{"action case", kfaws, "S3:getobject", "arn:aws:s3:::b/k", Allowed},
		{"s3 star", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "s3:DeleteObject", "arn:aws:s3:::b/k", Allowed},
		{"deny wins", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}`, "s3:DeleteObject", "arn:aws:s3:::b/k", Denied},
		{"conditional", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
			"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, "s3:GetObject", "arn:aws:s3:::b/k", Conditional},
		{"not action", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, "s3:GetObject", "arn:aws:s3:::b/k", Allowed},
		{"brackets are literal", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b[1]/*"}}`,
			"s3:GetObject", "arn:aws:s3:::b1/k", ImplicitNo},
		{"question mark", `{"Statement":{"Effect":"Allow","Action":"s3:Get?bject","Resource":"arn:aws:s3:::b/a*z"}}`,
			"s3:GetObject", "arn:aws:s3:::b/a/long/path/z", Allowed},
		{"url encoded", "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%7D",
			"s3:GetObject", "arn:aws:s3:::b/k", Allowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parsePolicy(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := evaluate([]policyDocument{d}, tc.action, tc.resource); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// Policy documents come from IAM, which anyone with iam:PutRolePolicy shapes: the evaluator must not panic.
func FuzzEvaluate(f *testing.F) {
	f.Add(`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "s3:GetObject", "arn:aws:s3:::b/k")
	f.Add(`{"Statement":[{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b/*","Condition":{}}]}`, "s3:PutObject", "arn:aws:s3:::b")
	f.Add(`%7B%22Statement%22%3A%5B%5D%7D`, "s3:ListBucket", "arn:aws:s3:::[b")
	f.Add(`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${k}/*","Condition":{"StringLike":{"k":"${k}${*"}}}}`,
		"s3:GetObject", "arn:aws:s3:::b/v/k")
	f.Fuzz(func(t *testing.T, doc, action, resource string) {
		d, err := parsePolicy(doc)
		if err != nil {
			return
		}
		for _, req := range []request{{action: action, resource: resource},
			{action: action, resource: resource, keys: map[string]string{"k": resource}, absent: []string{"s3:prefix"}}} {
			switch evaluateRequest([]policyDocument{d}, req) {
			case Allowed, Denied, Conditional, ImplicitNo:
			default:
				t.Fatal("unknown decision")
			}
		}
	})
}

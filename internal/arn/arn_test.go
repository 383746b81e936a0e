package arn

import "testing"

func TestPartition(t *testing.T) {
	cases := []struct{ caller, region, want string }{
		{"arn:aws:iam::123456789012:user/x", "us-west-2", "aws"},
		{"arn:aws-us-gov:iam::1:user/x", "us-west-2", "aws-us-gov"}, // the identity wins over the region
		{"arn:aws-cn:sts::1:assumed-role/r/s", "", "aws-cn"},
		{"", "us-gov-west-1", "aws-us-gov"},
		{"", "us-gov-east-1", "aws-us-gov"},
		{"", "cn-north-1", "aws-cn"},
		{"", "cn-northwest-1", "aws-cn"},
		{"", "eu-central-1", "aws"},
		{"", "", "aws"},
		{"not-an-arn", "cn-north-1", "aws-cn"},
		{"arn::iam::1:user/x", "us-gov-west-1", "aws-us-gov"},
	}
	for _, c := range cases {
		if got := Partition(c.caller, c.region); got != c.want {
			t.Errorf("Partition(%q, %q) = %q, want %q", c.caller, c.region, got, c.want)
		}
	}
}

func TestBuilder(t *testing.T) {
	gov := Builder{Partition: "aws-us-gov", Account: "123456789012", Region: "us-gov-west-1"}
	cases := []struct{ got, want string }{
		{gov.Role("kfp-backend"), "arn:aws-us-gov:iam::123456789012:role/kfp-backend"},
		{gov.Policy("kfp-s3"), "arn:aws-us-gov:iam::123456789012:policy/kfp-s3"},
		{gov.OIDCProvider("https://oidc.eks.us-gov-west-1.amazonaws.com/id/ABC"),
			"arn:aws-us-gov:iam::123456789012:oidc-provider/oidc.eks.us-gov-west-1.amazonaws.com/id/ABC"},
		{gov.OIDCProvider("oidc.example/id/X"), "arn:aws-us-gov:iam::123456789012:oidc-provider/oidc.example/id/X"},
		{gov.Bucket("b"), "arn:aws-us-gov:s3:::b"},
		{gov.Objects("b"), "arn:aws-us-gov:s3:::b/*"},
		{gov.Object("b", "v2/x"), "arn:aws-us-gov:s3:::b/v2/x"},
		{gov.SecretPattern("rds-secret"), "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:rds-secret-??????"},
		// Without a partition, the region's.
		{Builder{Account: "1", Region: "cn-north-1"}.Role("r"), "arn:aws-cn:iam::1:role/r"},
		{Builder{}.Bucket("b"), "arn:aws:s3:::b"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

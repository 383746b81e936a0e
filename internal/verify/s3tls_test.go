package verify

import "testing"

func TestDeniesPlainTransport(t *testing.T) {
	for doc, want := range map[string]bool{
		"": false,
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`: true,
		`{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:securetransport":["false"]}}}}`:                true,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`:               false,
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`:                 false,
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`:                                                                     false,
		"not json": false,
	} {
		if got := deniesPlainTransport(doc); got != want {
			t.Errorf("%s: %v, want %v", doc, got, want)
		}
	}
}

package proxy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

func TestMain(m *testing.M) { localstack.TestMain(m) }

// TestClientGoneBeforeResponse: a CreateDBInstance whose client has already
// gone (a killed kfaws) is still applied to moto and to MariaDB, as AWS
// would, so a resumed run finds a usable instance.
func TestClientGoneBeforeResponse(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	admin, err := s.MySQLRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	moto, err := url.Parse(s.MotoURL)
	if err != nil {
		t.Fatal(err)
	}
	_, portText, _ := strings.Cut(s.MySQLAddr, ":")
	port, _ := strconv.Atoi(portText)
	p := proxy.New(proxy.Options{Upstream: moto, MySQLAdmin: admin, MySQLHost: "127.0.0.1", MySQLPort: port})

	form := url.Values{"Action": {"CreateDBInstance"}, "Version": {"2014-10-31"}, "DBInstanceIdentifier": {"gone"},
		"DBInstanceClass": {"db.t3.micro"}, "Engine": {"mysql"}, "EngineVersion": {"8.0.40"}, "AllocatedStorage": {"20"},
		"MasterUsername": {"goneuser"}, "MasterUserPassword": {"gone-pass"}, "DBName": {"gonedb"}}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	req := httptest.NewRequestWithContext(gone, http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0")
	p.ServeHTTP(httptest.NewRecorder(), req)

	var n int
	if err := admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE User = 'goneuser' AND Host = '%'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("master user of a request whose client went away: %d users, want 1", n)
	}
}

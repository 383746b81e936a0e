package operation_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

const katibHint = "Katib's db-manager is not installed: run `export KFAWS_KATIB_DB_MANAGER=\"$(hack/katib-db-manager.sh)\"` " +
	"(installs and caches it) or `go test -short` to skip this test"

// katibBinary finds the db-manager hack/katib-db-manager.sh installed.
func katibBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("KFAWS_KATIB_DB_MANAGER")
	if bin == "" {
		cache := os.Getenv("KFAWS_CACHE_DIR")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache", "kfaws")
		}
		bin = filepath.Join(cache, "katib-db-manager", "v0.19.0", "v1beta1")
	}
	if _, err := os.Stat(bin); err != nil {
		if testing.Short() {
			t.Skip(katibHint)
		}
		t.Fatal(katibHint)
	}
	return bin
}

// startKatib runs the real db-manager against the database, as the katib-db-manager Deployment kfaws renders
// would (same env variables, from the RDS secret), and returns a gRPC connection to it once it serves.
func startKatib(t *testing.T, sec map[string]string) *grpc.ClientConn {
	t.Helper()
	bin := katibBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--listen-address", addr, "--connect-timeout", "20s")
	cmd.Env = append(os.Environ(), "DB_NAME=mysql", "DB_USER="+sec["username"], "DB_PASSWORD="+sec["password"],
		"KATIB_MYSQL_DB_HOST="+sec["host"], "KATIB_MYSQL_DB_PORT="+sec["port"], "KATIB_MYSQL_DB_DATABASE="+sec["database"])
	logf, err := os.Create(filepath.Join(t.TempDir(), "katib.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logf.Close() })
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && res.Status == healthpb.HealthCheckResponse_SERVING {
			return conn
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("katib db-manager did not serve on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// katibService reads Katib's DBManager API through gRPC server reflection, so the test needs neither Katib's
// Go module (whose requirements would enter go.mod) nor a copy of its generated code.
func katibService(t *testing.T, conn *grpc.ClientConn) protoreflect.ServiceDescriptor {
	t.Helper()
	const service = "api.v1.beta1.DBManager"
	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stream.CloseSend()
	if err := stream.Send(&rpb.ServerReflectionRequest{
		MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: service}}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	set := &descriptorpb.FileDescriptorSet{}
	for _, raw := range res.GetFileDescriptorResponse().GetFileDescriptorProto() {
		fd := &descriptorpb.FileDescriptorProto{}
		if err := proto.Unmarshal(raw, fd); err != nil {
			t.Fatal(err)
		}
		set.File = append(set.File, fd)
	}
	files, err := protodesc.NewFiles(set)
	if err != nil {
		t.Fatalf("katib's descriptors: %v", err)
	}
	d, err := files.FindDescriptorByName(service)
	if err != nil {
		t.Fatalf("finding %s: %v", service, err)
	}
	return d.(protoreflect.ServiceDescriptor)
}

// reportMetrics calls DBManager.ReportObservationLog for a trial, as a Katib metrics collector does.
func reportMetrics(t *testing.T, conn *grpc.ClientConn, trial string, values ...float64) {
	t.Helper()
	svc := katibService(t, conn)
	m := svc.Methods().ByName("ReportObservationLog")
	req := dynamicpb.NewMessage(m.Input())
	req.Set(m.Input().Fields().ByName("trial_name"), protoreflect.ValueOfString(trial))
	logD := m.Input().Fields().ByName("observation_log").Message()
	metricLogD := logD.Fields().ByName("metric_logs").Message()
	metricD := metricLogD.Fields().ByName("metric").Message()
	obs := dynamicpb.NewMessage(logD)
	list := obs.Mutable(logD.Fields().ByName("metric_logs")).List()
	for i, v := range values {
		metric := dynamicpb.NewMessage(metricD)
		metric.Set(metricD.Fields().ByName("name"), protoreflect.ValueOfString("accuracy"))
		metric.Set(metricD.Fields().ByName("value"), protoreflect.ValueOfString(strconv.FormatFloat(v, 'f', -1, 64)))
		ml := dynamicpb.NewMessage(metricLogD)
		ml.Set(metricLogD.Fields().ByName("time_stamp"),
			protoreflect.ValueOfString(time.Now().Add(time.Duration(i)*time.Second).UTC().Format(time.RFC3339)))
		ml.Set(metricLogD.Fields().ByName("metric"), protoreflect.ValueOfMessage(metric))
		list.Append(protoreflect.ValueOfMessage(ml))
	}
	req.Set(m.Input().Fields().ByName("observation_log"), protoreflect.ValueOfMessage(obs))
	reply := dynamicpb.NewMessage(m.Output())
	method := fmt.Sprintf("/%s/%s", svc.FullName(), m.Name())
	if err := conn.Invoke(context.Background(), method, req, reply); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
}

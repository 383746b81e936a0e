// Package katibdb runs Katib's real db-manager (the writer and reader of observation_logs) for tests, and talks to
// it through gRPC server reflection, so tests need neither Katib's Go module nor a copy of its generated code.
package katibdb

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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

const hint = "Katib's db-manager is not installed: run `export KFAWS_KATIB_DB_MANAGER=\"$(hack/katib-db-manager.sh)\"` " +
	"(installs and caches it) or `go test -short` to skip this test"

// Binary finds the db-manager hack/katib-db-manager.sh installed ($KFAWS_KATIB_DB_MANAGER or its cache); without
// it the test fails with the install hint (skips under -short).
func Binary(t testing.TB) string {
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
			t.Skip(hint)
		}
		t.Fatal(hint)
	}
	return bin
}

// DB is where the db-manager connects, as its Deployment's env variables give it.
type DB struct {
	User, Password, Host, Port, Database string
}

// Manager is a running db-manager.
type Manager struct {
	Conn *grpc.ClientConn
	svc  protoreflect.ServiceDescriptor
}

// Start runs the db-manager against db until the test ends and waits until it serves.
func Start(t testing.TB, db DB) *Manager {
	t.Helper()
	bin := Binary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--listen-address", addr, "--connect-timeout", "20s")
	cmd.Env = append(os.Environ(), "DB_NAME=mysql", "DB_USER="+db.User, "DB_PASSWORD="+db.Password,
		"KATIB_MYSQL_DB_HOST="+db.Host, "KATIB_MYSQL_DB_PORT="+db.Port, "KATIB_MYSQL_DB_DATABASE="+db.Database)
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
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("katib db-manager did not serve on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return &Manager{Conn: conn, svc: service(t, conn)}
}

// service reads Katib's DBManager API through gRPC server reflection.
func service(t testing.TB, conn *grpc.ClientConn) protoreflect.ServiceDescriptor {
	t.Helper()
	const name = "api.v1.beta1.DBManager"
	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stream.CloseSend() }()
	if err := stream.Send(&rpb.ServerReflectionRequest{
		MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: name}}); err != nil {
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
	d, err := files.FindDescriptorByName(name)
	if err != nil {
		t.Fatalf("finding %s: %v", name, err)
	}
	return d.(protoreflect.ServiceDescriptor)
}

// Metric is one observation: RFC 3339 time, metric name, value.
type Metric struct{ Time, Name, Value string }

// Report calls DBManager.ReportObservationLog for a trial, as a Katib metrics collector does.
func (m *Manager) Report(t testing.TB, trial string, metrics []Metric) {
	t.Helper()
	md := m.svc.Methods().ByName("ReportObservationLog")
	req := dynamicpb.NewMessage(md.Input())
	req.Set(md.Input().Fields().ByName("trial_name"), protoreflect.ValueOfString(trial))
	logD := md.Input().Fields().ByName("observation_log").Message()
	obs := dynamicpb.NewMessage(logD)
	list := obs.Mutable(logD.Fields().ByName("metric_logs")).List()
	metricLogD := logD.Fields().ByName("metric_logs").Message()
	metricD := metricLogD.Fields().ByName("metric").Message()
	for _, mt := range metrics {
		metric := dynamicpb.NewMessage(metricD)
		metric.Set(metricD.Fields().ByName("name"), protoreflect.ValueOfString(mt.Name))
		metric.Set(metricD.Fields().ByName("value"), protoreflect.ValueOfString(mt.Value))
		ml := dynamicpb.NewMessage(metricLogD)
		ml.Set(metricLogD.Fields().ByName("time_stamp"), protoreflect.ValueOfString(mt.Time))
		ml.Set(metricLogD.Fields().ByName("metric"), protoreflect.ValueOfMessage(metric))
		list.Append(protoreflect.ValueOfMessage(ml))
	}
	req.Set(md.Input().Fields().ByName("observation_log"), protoreflect.ValueOfMessage(obs))
	m.invoke(t, md, req)
}

// Get calls DBManager.GetObservationLog for a trial and returns its metrics in the order the db-manager gives.
func (m *Manager) Get(t testing.TB, trial string) []Metric {
	t.Helper()
	md := m.svc.Methods().ByName("GetObservationLog")
	req := dynamicpb.NewMessage(md.Input())
	req.Set(md.Input().Fields().ByName("trial_name"), protoreflect.ValueOfString(trial))
	reply := m.invoke(t, md, req)
	obs := reply.Get(md.Output().Fields().ByName("observation_log")).Message()
	list := obs.Get(obs.Descriptor().Fields().ByName("metric_logs")).List()
	var out []Metric
	for i := range list.Len() {
		ml := list.Get(i).Message()
		metric := ml.Get(ml.Descriptor().Fields().ByName("metric")).Message()
		out = append(out, Metric{
			Time:  ml.Get(ml.Descriptor().Fields().ByName("time_stamp")).String(),
			Name:  metric.Get(metric.Descriptor().Fields().ByName("name")).String(),
			Value: metric.Get(metric.Descriptor().Fields().ByName("value")).String(),
		})
	}
	return out
}

func (m *Manager) invoke(t testing.TB, md protoreflect.MethodDescriptor, req *dynamicpb.Message) *dynamicpb.Message {
	t.Helper()
	reply := dynamicpb.NewMessage(md.Output())
	method := fmt.Sprintf("/%s/%s", m.svc.FullName(), md.Name())
	if err := m.Conn.Invoke(context.Background(), method, req, reply); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return reply
}

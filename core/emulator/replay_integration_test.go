//go:build integration

package emulator_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"bookme-deploy/core/emulator"
	"bookme-deploy/internal/testenv"
)

// losesFirstAnswer is an HTTP client that sends each request, and for the first one whose body names
// action, reads moto's answer and reports a reset connection instead — as the Dagger engine's tunnel
// to a host service does now and then. The SDK then retries the same invocation.
type losesFirstAnswer struct {
	action string
	lost   atomic.Int32
}

func (c *losesFirstAnswer) Do(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	resp, err := http.DefaultClient.Do(r)
	if err == nil && strings.Contains(string(body), "Action="+c.action) && c.lost.Add(1) == 1 {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errors.New("read tcp 10.87.0.2:41234->10.87.0.1:4566: read: connection reset by peer")
	}
	return resp, err
}

// Without patch 7 the retry of a CreateSubnet whose answer was lost meets the subnet its first attempt
// made (InvalidSubnet.Conflict: what failed the workflow-lines test's deploy); with it, the retry gets
// the first answer and the VPC holds one subnet. A new invocation is still refused, as AWS refuses it.
func TestMotoReplaysARetryOfAnAnsweredChange(t *testing.T) {
	for _, replay := range []bool{false, true} {
		opts := []testenv.MotoOption{testenv.WithEmulatorPatches()}
		if replay {
			opts = append(opts, testenv.WithEnv(emulator.ReplayRetriesEnv, "1"))
		}
		m := testenv.StartMoto(t, opts...)
		ctx := context.Background()
		direct := ec2.NewFromConfig(m.Config(t))
		vpc, err := direct.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
		if err != nil {
			t.Fatal(err)
		}
		lossy := &losesFirstAnswer{action: "CreateSubnet"}
		flaky := ec2.NewFromConfig(m.Config(t), func(o *ec2.Options) { o.HTTPClient = lossy })
		in := &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.0.0/24")}
		out, err := flaky.CreateSubnet(ctx, in)
		if lossy.lost.Load() < 2 {
			t.Fatalf("replay=%v: the SDK did not retry the lost answer (%d calls): %v", replay, lossy.lost.Load(), err)
		}
		subnets, derr := direct.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{aws.ToString(vpc.Vpc.VpcId)}}}})
		if derr != nil || len(subnets.Subnets) != 1 {
			t.Fatalf("replay=%v: want the one subnet the first attempt made: %v %v", replay, subnets, derr)
		}
		if !replay {
			if err == nil || !strings.Contains(err.Error(), "InvalidSubnet.Conflict") {
				t.Fatalf("without the patch the retry should meet its own subnet (InvalidSubnet.Conflict), got %v", err)
			}
			continue
		}
		if err != nil || aws.ToString(out.Subnet.SubnetId) != aws.ToString(subnets.Subnets[0].SubnetId) {
			t.Fatalf("with the patch the retry gets the first attempt's subnet: %+v %v (the VPC has %s)", out, err, aws.ToString(subnets.Subnets[0].SubnetId))
		}
		if _, err := direct.CreateSubnet(ctx, in); err == nil || !strings.Contains(err.Error(), "InvalidSubnet.Conflict") {
			t.Fatalf("a new invocation must still be refused as AWS refuses it, got %v", err)
		}
		// The replay is on record, named by its action, so a rehearsal's report can say it happened.
		rs, err := emulator.Replays(ctx, http.DefaultClient, m.Endpoint)
		if err != nil || len(rs) != 1 || rs[0].Call != "CreateSubnet" || rs[0].Invocation == "" {
			t.Fatalf("want one replayed CreateSubnet on record, got %+v %v", rs, err)
		}
		if txt := emulator.ReplaysText(rs); !strings.Contains(txt, "1 retried call(s)") || !strings.Contains(txt, "CreateSubnet") {
			t.Fatalf("report line: %q", txt)
		}
	}
}

package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var reVpcID = regexp.MustCompile(`<vpcId>(vpc-[0-9a-f]+)</vpcId>`)

// addClusterVpcID fills resourcesVpcConfig.vpcId, which every real EKS
// cluster reports and moto leaves out, from the VPC of the cluster's first
// subnet. clusterSecurityGroupId, which moto also lacks, stays absent on
// purpose: real clusters can lack it and kfaws must cope.
func (p *Proxy) addClusterVpcID(ctx context.Context, r *http.Request, body []byte) []byte {
	var doc map[string]map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return body
	}
	cluster := doc["cluster"]
	vpcCfg, _ := cluster["resourcesVpcConfig"].(map[string]any)
	subnets, _ := vpcCfg["subnetIds"].([]any)
	if vpcCfg == nil || vpcCfg["vpcId"] != nil || len(subnets) == 0 {
		return body
	}
	subnet, _ := subnets[0].(string)
	vpc, err := p.subnetVpc(ctx, r, subnet)
	if err != nil {
		p.log.Warn("eks cluster without vpcId", "subnet", subnet, "err", err)
		return body
	}
	vpcCfg["vpcId"] = vpc
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// subnetVpc asks moto's EC2, in the region of the original request, which
// VPC holds subnet. moto reads the region from the credential scope.
func (p *Proxy) subnetVpc(ctx context.Context, orig *http.Request, subnet string) (string, error) {
	form := url.Values{"Action": {"DescribeSubnets"}, "Version": {"2016-11-15"}, "SubnetId.1": {subnet}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.upstreamURL.String()+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", strings.Replace(orig.Header.Get("Authorization"), "/eks/aws4_request", "/ec2/aws4_request", 1))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	m := reVpcID.FindSubmatch(b)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("describing subnet %q on moto: status %d", subnet, resp.StatusCode)
	}
	return string(m[1]), nil
}

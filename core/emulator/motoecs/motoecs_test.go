package motoecs

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWrapStringifiesTaskNumbersOnly(t *testing.T) {
	body := `{"tasks":[{"cpu":256,"memory":512,"containers":[{"name":"web","cpu":0,"memoryReservation":128.5}]}],"failures":[]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	defer srv.Close()
	c := Wrap(nil)
	get := func(target string) string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
		req.Header.Set("X-Amz-Target", target)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.ContentLength != int64(len(b)) {
			t.Errorf("%s: ContentLength %d, body %d bytes", target, resp.ContentLength, len(b))
		}
		return string(b)
	}
	got := get("AmazonEC2ContainerServiceV20141113.DescribeTasks")
	for _, want := range []string{`"cpu":"256"`, `"memory":"512"`, `"cpu":"0"`, `"memoryReservation":"128.5"`} {
		if !strings.Contains(got, want) {
			t.Errorf("DescribeTasks: %s lacks %s", got, want)
		}
	}
	if got := get("AmazonEC2ContainerServiceV20141113.DescribeServices"); got != body {
		t.Errorf("DescribeServices rewritten: %s", got)
	}
}

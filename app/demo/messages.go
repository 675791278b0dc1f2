package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"honnin/app/emv"
)

// The demo plays the 3DS Server and the Directory Server with the protocol's own message types (app/emv).

// readAnswer reads a message that is either an answer of the expected kind (into answer) or an Erro,
// which it returns.
func readAnswer(data []byte, answer any) (*emv.Erro, error) {
	var head struct {
		MessageType emv.MessageType `json:"messageType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, err
	}
	if head.MessageType == emv.TypeErro {
		var e emv.Erro
		return &e, json.Unmarshal(data, &e)
	}
	return nil, json.Unmarshal(data, answer)
}

// exchange posts msg as JSON to url and reads the answer (at most limit bytes) into answer, or returns
// the Erro it was. Anything but HTTP 200 is an error.
func (s *Shop) exchange(ctx context.Context, url string, msg, answer any, limit int64) (*emv.Erro, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered HTTP %d", url, resp.StatusCode)
	}
	return readAnswer(data, answer)
}

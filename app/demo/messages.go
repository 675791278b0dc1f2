package demo

import (
	"encoding/json"

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

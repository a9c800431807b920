// Real Go encoders for vectors/encoders.json (run by vectors/tools/generate.py).
// stdin: JSON array of base64 bodies; stdout: JSON array of {name: base64 output | null}.
// A struct keeps the body's key order: it is modelled by an ordered object whose numbers
// are json.Number (a struct's typed fields print the values as written).
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
)

type member struct {
	key   string
	value interface{}
}

type ordered []member

func (o ordered) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func decodeOrdered(dec *json.Decoder) (interface{}, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			var obj ordered
			index := map[string]int{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key := kt.(string)
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				if i, ok := index[key]; ok {
					obj[i].value = v
				} else {
					index[key] = len(obj)
					obj = append(obj, member{key, v})
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if obj == nil {
				obj = ordered{}
			}
			return obj, nil
		}
		arr := []interface{}{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return arr, nil
	default:
		return t, nil
	}
}

func enc(v interface{}, indent bool) *string {
	var b []byte
	var err error
	if indent {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}

func main() {
	var input []string
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		panic(err)
	}
	out := []map[string]*string{}
	for _, b := range input {
		raw, _ := base64.StdEncoding.DecodeString(b)
		row := map[string]*string{}
		var m interface{}
		if err := json.Unmarshal(raw, &m); err == nil {
			row["go json.Marshal(map[string]interface{})"] = enc(m, false)
			row["go json.MarshalIndent(map[string]interface{}, \"\", \"  \")"] = enc(m, true)
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if s, err := decodeOrdered(dec); err == nil {
				row["go json.Marshal(struct)"] = enc(s, false)
				row["go json.MarshalIndent(struct, \"\", \"  \")"] = enc(s, true)
			}
		}
		out = append(out, row)
	}
	res, _ := json.Marshal(out)
	os.Stdout.Write(res)
}

package appconfig

import (
	"reflect"
)

// Config is one environment's settings: the defaults, overlaid by the file, overlaid by the
// file's environments.<env> section.
type Config struct {
	// Env is the environment resolved for.
	Env string
	// Source names where the settings came from: the file's name, or "defaults (no bookme-deploy.yaml)".
	Source string
	Settings
}

// Load parses, validates and resolves a config file for env in one step. data nil (no file) gives
// the defaults. Every problem of the file is returned at once, before anything runs.
func Load(name string, data []byte, env string) (*Config, error) {
	if data == nil {
		return Resolve(nil, env)
	}
	doc, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	return Resolve(doc, env)
}

// Resolve validates the document and returns env's settings. A nil document (no file) gives
// Default(). An environment the file does not name gets the file's settings.
func Resolve(doc *Document, env string) (*Config, error) {
	if doc == nil || !doc.Present {
		return &Config{Env: env, Source: "defaults (no " + FileName + ")", Settings: Default()}, nil
	}
	if err := Validate(doc); err != nil {
		return nil, err
	}
	return &Config{Env: env, Source: doc.Name, Settings: doc.settings(env)}, nil
}

// settings merges without validating: defaults, then the file (its maps and lists replace the
// defaults'), then the environment's override (its client.env merged key by key).
func (d *Document) settings(env string) Settings {
	s := Default()
	overlay(reflect.ValueOf(&s).Elem(), reflect.ValueOf(d.File.Settings), false)
	if o, ok := d.File.Environments[env]; ok {
		overlay(reflect.ValueOf(&s.Client).Elem().FieldByName("Env"), reflect.ValueOf(o.Client.Env), true)
		overlay(reflect.ValueOf(&s.Smoke).Elem(), reflect.ValueOf(o.Smoke), false)
		overlay(reflect.ValueOf(&s.Releases).Elem(), reflect.ValueOf(o.Releases), false)
		overlay(reflect.ValueOf(&s.Timeouts).Elem(), reflect.ValueOf(o.Timeouts), false)
	}
	return s
}

// overlay sets every non-zero field of src on dst, recursing into structs (a Command is one value).
// Maps replace dst's unless mergeMaps.
func overlay(dst, src reflect.Value, mergeMaps bool) {
	switch {
	case src.Type() == commandType:
		if !src.Interface().(Command).IsZero() {
			dst.Set(src)
		}
	case src.Kind() == reflect.Struct:
		for i := 0; i < src.NumField(); i++ {
			overlay(dst.Field(i), src.Field(i), mergeMaps)
		}
	case src.Kind() == reflect.Map && mergeMaps:
		if src.Len() == 0 {
			return
		}
		m := reflect.MakeMap(dst.Type())
		for _, k := range dst.MapKeys() {
			m.SetMapIndex(k, dst.MapIndex(k))
		}
		for _, k := range src.MapKeys() {
			m.SetMapIndex(k, src.MapIndex(k))
		}
		dst.Set(m)
	case src.Kind() == reflect.Map || src.Kind() == reflect.Slice:
		if !src.IsNil() {
			dst.Set(src)
		}
	default:
		if !src.IsZero() {
			dst.Set(src)
		}
	}
}

package redact

import "reflect"

// Scrub redacts, in place, every string reachable from v (a pointer): exported struct fields,
// slice, array and map elements, through pointers and interfaces. Map keys and unexported fields
// are left as they are. It is how a whole value (a deploy record) is redacted before it is
// stored, so that a field added later is covered too.
func (r *Redactor) Scrub(v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return
	}
	r.scrub(rv.Elem(), map[uintptr]bool{})
}

func (r *Redactor) scrub(v reflect.Value, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if s := v.String(); s != "" {
				v.SetString(r.String(s))
			}
		}
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		r.scrub(v.Elem(), seen)
	case reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return
		}
		e := v.Elem()
		c := reflect.New(e.Type()).Elem()
		c.Set(e)
		r.scrub(c, seen)
		v.Set(c)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				r.scrub(f, seen)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return
		}
		for i := range v.Len() {
			r.scrub(v.Index(i), seen)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			c := reflect.New(e.Type()).Elem()
			c.Set(e)
			r.scrub(c, seen)
			v.SetMapIndex(k, c)
		}
	}
}

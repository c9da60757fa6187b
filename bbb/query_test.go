package bbb

import "testing"

func TestParam(t *testing.T) {
	const raw = "name=Test+Meeting&meetingID=room%5B1%5D&empty=&bare&fullName=%C3%9Cn%C3%AFcode%20Room&dup=1&dup=2&meta_file_checksum=x&checksum=abc"
	tests := []struct {
		key     string
		want    string
		ok      bool
		wantErr bool
	}{
		{"name", "Test Meeting", true, false},
		{"meetingID", "room[1]", true, false},
		{"fullName", "Ünïcode Room", true, false},
		{"empty", "", true, false},
		{"bare", "", true, false},
		{"dup", "1", true, false}, // the first one
		{"checksum", "abc", true, false},
		{"meta_file_checksum", "x", true, false},
		{"absent", "", false, false},
		{"Name", "", false, false}, // case-sensitive
		{"meeting", "", false, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		v, ok, err := RawParam(raw, tt.key)
		if v != tt.want || ok != tt.ok || (err != nil) != tt.wantErr {
			t.Errorf("RawParam(%q) = %q, %v, %v; want %q, %v, err %v", tt.key, v, ok, err, tt.want, tt.ok, tt.wantErr)
		}
	}
	for _, raw := range []string{"meetingID=%zz", "meetingID=%", "meetingID=abc%4", "meetingID=%G1"} {
		v, ok, err := RawParam(raw, "meetingID")
		if err == nil || ok || v != "" {
			t.Errorf("RawParam(%q) = %q, %v, %v; want an error", raw, v, ok, err)
		}
	}
	// An invalid value elsewhere does not matter.
	if v, ok, err := RawParam("a=%zz&meetingID=x", "meetingID"); v != "x" || !ok || err != nil {
		t.Errorf("Param next to a bad value = %q, %v, %v", v, ok, err)
	}
	if _, ok, err := RawParam("", "x"); ok || err != nil {
		t.Errorf("Param of empty query = %v, %v", ok, err)
	}
}

func TestReplaceParam(t *testing.T) {
	tests := []struct {
		name, raw, key, value, want string
	}{
		{"replace keeps other raw bytes", "name=Test%20Meeting&meetingID=a&x=%C3%9C+", "meetingID", "b", "name=Test%20Meeting&meetingID=b&x=%C3%9C+"},
		{"replace first", "meetingID=a&name=x", "meetingID", "b", "meetingID=b&name=x"},
		{"replace last", "name=x&meetingID=a", "meetingID", "b", "name=x&meetingID=b"},
		{"append when absent", "name=x", "meetingID", "b", "name=x&meetingID=b"},
		{"append to empty", "", "meetingID", "b", "meetingID=b"},
		{"dedup repeats at first place", "a=1&k=1&b=2&k=2&c=3&k=3", "k", "v", "a=1&k=v&b=2&c=3"},
		{"bare key replaced", "a=1&k&b=2", "k", "v", "a=1&k=v&b=2"},
		{"encodes value", "a=1", "k", "Ünï code&x=y+z", "a=1&k=%C3%9Cn%C3%AF+code%26x%3Dy%2Bz"},
		{"empty value", "k=1", "k", "", "k="},
		{"lookalike key untouched", "meta_file_checksum=x&checksumx=y", "checksum", "c", "meta_file_checksum=x&checksumx=y&checksum=c"},
		{"value containing key untouched", "name=k%3D1", "k", "2", "name=k%3D1&k=2"},
		{"case-sensitive key", "K=1", "k", "2", "K=1&k=2"},
		{"empty pairs kept", "a=1&&b=2", "k", "v", "a=1&&b=2&k=v"},
		{"invalid encoding elsewhere kept", "a=%zz&k=1", "k", "2", "a=%zz&k=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReplaceParam(tt.raw, tt.key, tt.value)
			if got != tt.want {
				t.Fatalf("ReplaceParam(%q, %q, %q) = %q, want %q", tt.raw, tt.key, tt.value, got, tt.want)
			}
			v, ok, err := RawParam(got, tt.key)
			if !ok || err != nil || v != tt.value {
				t.Errorf("Param after replace = %q, %v, %v", v, ok, err)
			}
		})
	}
}

func TestRemoveParams(t *testing.T) {
	tests := []struct {
		raw  string
		keys []string
		want string
	}{
		{"", []string{"a"}, ""},
		{"a=1&b=2&c=3", nil, "a=1&b=2&c=3"},
		{"a=1&b=2&c=3", []string{"b"}, "a=1&c=3"},
		{"a=1&b=2&c=3", []string{"a"}, "b=2&c=3"},
		{"a=1&b=2&c=3", []string{"c"}, "a=1&b=2"},
		{"a=1&b=2&c=3", []string{"a", "c"}, "b=2"},
		{"a=1&b=2&c=3", []string{"a", "b", "c"}, ""},
		{"k=1&x=%C3%9C+y%20&k=2&k", []string{"k"}, "x=%C3%9C+y%20"},
		{"a=1&&b=2&", []string{"z"}, "a=1&b=2"},
		{"meta_file_checksum=x&checksum=y&checksumx=z", []string{"checksum"}, "meta_file_checksum=x&checksumx=z"},
		{"B=1&b=2", []string{"b"}, "B=1"},
		{"z=%zz&b=2", []string{"b"}, "z=%zz"},
	}
	for _, tt := range tests {
		if got := RemoveParams(tt.raw, tt.keys...); got != tt.want {
			t.Errorf("RemoveParams(%q, %q) = %q, want %q", tt.raw, tt.keys, got, tt.want)
		}
	}
}

func TestValidQuery(t *testing.T) {
	valid := []string{
		"",
		"a=1",
		"a=1&b=",
		"a",
		"a=1&&b=2",
		"name=Test+Meeting&x=%C3%9C%20",
		"k%5B%5D=v",
		"a=b=c",
		"a=%ff", // not UTF-8, but decodes
	}
	for _, q := range valid {
		if !ValidQuery(q) {
			t.Errorf("ValidQuery(%q) = false", q)
		}
	}
	invalid := []string{
		"a=%",
		"a=%z1",
		"a=1&b=%4",
		"%zz=1",
		"a=1&%=2",
		"a=100%",
	}
	for _, q := range invalid {
		if ValidQuery(q) {
			t.Errorf("ValidQuery(%q) = true", q)
		}
	}
}

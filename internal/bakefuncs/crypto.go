package bakefuncs

import (
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/gocty"
	"golang.org/x/crypto/bcrypt"
)

// The crypto family hashes strings and decrypts RSA ciphertexts, as the
// Terraform functions of the same names do.

var (
	md5Func    = hashFunc("MD5", md5.New)
	sha1Func   = hashFunc("SHA1", sha1.New)
	sha256Func = hashFunc("SHA256", sha256.New)
	sha512Func = hashFunc("SHA512", sha512.New)
)

// hashFunc builds a function that hashes its string argument's UTF-8 bytes
// and returns the digest in lower-case hexadecimal.
func hashFunc(algo string, newHash func() hash.Hash) function.Function {
	return function.New(&function.Spec{
		Description: fmt.Sprintf("Computes the %s hash of a given string and encodes it with hexadecimal digits.", algo),
		Params:      []function.Parameter{{Name: "str", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			h := newHash()
			h.Write([]byte(args[0].AsString()))
			return cty.StringVal(hex.EncodeToString(h.Sum(nil))), nil
		},
	})
}

// defaultBcryptCost is the work factor bcrypt uses when none is given.
const defaultBcryptCost = 10

// bcryptFunc is bcrypt(str, [cost]): a salted Blowfish hash of str. The salt is
// random, so the result differs on every call.
var bcryptFunc = function.New(&function.Spec{
	Description: "Computes a hash of the given string using the Blowfish cipher.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	VarParam:    &function.Parameter{Name: "cost", Type: cty.Number},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		cost := defaultBcryptCost
		if len(args) > 1 {
			if err := gocty.FromCtyValue(args[1], &cost); err != nil {
				return cty.UnknownVal(cty.String), function.NewArgError(1, err)
			}
		}
		if len(args) > 2 {
			return cty.UnknownVal(cty.String), errors.New("bcrypt() takes no more than two arguments")
		}
		out, err := bcrypt.GenerateFromPassword([]byte(args[0].AsString()), cost)
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("error occurred generating password: %w", err)
		}
		return cty.StringVal(string(out)), nil
	},
})

// rsaDecryptFunc is rsadecrypt(ciphertext, privatekey): the plaintext of a
// base64-encoded PKCS #1 v1.5 ciphertext, given an unencrypted PEM-encoded
// PKCS #1 private key.
var rsaDecryptFunc = function.New(&function.Spec{
	Description: "Decrypts an RSA-encrypted ciphertext.",
	Params: []function.Parameter{
		{Name: "ciphertext", Type: cty.String},
		{Name: "privatekey", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		ciphertext, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "decode input %q: cipher text must be base64-encoded", args[0].AsString())
		}
		block, _ := pem.Decode([]byte(args[1].AsString()))
		if block == nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "parse key: no key found")
		}
		if block.Headers["Proc-Type"] == "4,ENCRYPTED" {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "parse key: password protected keys are not supported; decrypt the key first")
		}
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "parse key: %s", err)
		}
		plain, err := rsa.DecryptPKCS1v15(nil, key, ciphertext)
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("decrypt: %w", err)
		}
		return cty.StringVal(string(plain)), nil
	},
})

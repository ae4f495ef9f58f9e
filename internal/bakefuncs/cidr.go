package bakefuncs

import (
	"fmt"
	"math/big"
	"net"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/gocty"
)

// The cidr family computes addresses inside IP prefixes, as Terraform's
// functions of the same names do. Addresses are handled as big integers of
// 32 or 128 bits so that IPv4 and IPv6 share one code path.

// maxExtension caps how many bits cidrsubnet and cidrsubnets may add to a
// prefix in one call; bake keeps Terraform's 32 so results do not depend on
// the size of int.
const maxExtension = 32

// cidrHostFunc is cidrhost(prefix, hostnum): the address of host number
// hostnum in prefix. A negative hostnum counts back from the last address.
var cidrHostFunc = function.New(&function.Spec{
	Description: "Calculates a full host IP address within a given IP network address prefix.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "hostnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		var hostNum int
		if err := gocty.FromCtyValue(args[1], &hostNum); err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(1, err)
		}
		network, err := parseCIDR(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(0, err)
		}
		prefixLen, addrLen := network.Mask.Size()
		maxHost := new(big.Int).Lsh(big.NewInt(1), uint(addrLen-prefixLen))
		maxHost.Sub(maxHost, big.NewInt(1))

		num := big.NewInt(int64(hostNum))
		// offset is how far from the start (or, when negative, from the end)
		// the host lies; it must fit in the host bits either way.
		offset := new(big.Int).Set(num)
		if num.Sign() < 0 {
			offset.Neg(num).Sub(offset, big.NewInt(1))
			num.Sub(maxHost, offset)
		}
		if offset.Cmp(maxHost) > 0 {
			return cty.UnknownVal(cty.String), fmt.Errorf("prefix of %d does not accommodate a host numbered %d", prefixLen, hostNum)
		}
		// A host number is inserted at the last bit of the address family;
		// for an IPv4 address written in IPv6 form that family is IPv4.
		bits := 128
		if network.IP.To4() != nil {
			bits = 32
		}
		return cty.StringVal(insertNum(network.IP, num, bits).String()), nil
	},
})

// cidrNetmaskFunc is cidrnetmask(prefix): the prefix's mask written as an
// address, such as 255.255.255.0 for a /24.
var cidrNetmaskFunc = function.New(&function.Spec{
	Description: "Converts an IPv4 address prefix given in CIDR notation into a subnet mask address.",
	Params:      []function.Parameter{{Name: "prefix", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		network, err := parseCIDR(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(0, err)
		}
		return cty.StringVal(net.IP(network.Mask).String()), nil
	},
})

// cidrSubnetFunc is cidrsubnet(prefix, newbits, netnum): subnet number netnum
// among those made by extending prefix by newbits bits.
var cidrSubnetFunc = function.New(&function.Spec{
	Description: "Calculates a subnet address within a given IP network address prefix.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "newbits", Type: cty.Number},
		{Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		var newBits, netNum int
		if err := gocty.FromCtyValue(args[1], &newBits); err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(1, err)
		}
		if err := gocty.FromCtyValue(args[2], &netNum); err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(2, err)
		}
		network, err := parseCIDR(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(0, err)
		}
		if newBits > maxExtension {
			return cty.UnknownVal(cty.String), fmt.Errorf("may not extend prefix by more than %d bits", maxExtension)
		}
		prefixLen, addrLen := network.Mask.Size()
		newLen := prefixLen + newBits
		if newLen > addrLen {
			return cty.UnknownVal(cty.String), fmt.Errorf("insufficient address space to extend prefix of %d by %d", prefixLen, newBits)
		}
		// A negative extension shortens the prefix; like bake, any
		// non-negative subnet number is then accepted, but a prefix can not
		// shrink below zero bits.
		if newLen < 0 || netNum < 0 || newBits >= 0 && uint64(netNum) > uint64(1)<<uint(newBits)-1 {
			return cty.UnknownVal(cty.String), fmt.Errorf("prefix extension of %d does not accommodate a subnet numbered %d", newBits, netNum)
		}
		subnet := &net.IPNet{
			IP:   insertNum(network.IP, big.NewInt(int64(netNum)), newLen),
			Mask: net.CIDRMask(newLen, addrLen),
		}
		return cty.StringVal(subnet.String()), nil
	},
})

// cidrSubnetsFunc is cidrsubnets(prefix, newbits...): consecutive subnets of
// prefix, each extended by its own number of bits, packed in order with each
// one aligned to its own size.
var cidrSubnetsFunc = function.New(&function.Spec{
	Description: "Calculates many consecutive subnet addresses at once, rather than just a single subnet extension.",
	Params:      []function.Parameter{{Name: "prefix", Type: cty.String}},
	VarParam:    &function.Parameter{Name: "newbits", Type: cty.Number},
	Type:        function.StaticReturnType(cty.List(cty.String)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		network, err := parseCIDR(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(0, err)
		}
		newBits := args[1:]
		if len(newBits) == 0 {
			return cty.ListValEmpty(cty.String), nil
		}
		startLen, _ := network.Mask.Size()
		base, bits := ipInt(network.IP)

		var cur block
		subnets := make([]cty.Value, len(newBits))
		for i, arg := range newBits {
			var n int
			if err := gocty.FromCtyValue(arg, &n); err != nil {
				return cty.UnknownVal(cty.String), function.NewArgError(i+1, err)
			}
			if n < 1 {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(i+1, "must extend prefix by at least one bit")
			}
			if n > maxExtension {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(i+1, "may not extend prefix by more than %d bits", maxExtension)
			}
			length := n + startLen
			if length > bits {
				family := "IPv4"
				if bits == 128 {
					family = "IPv6"
				}
				return cty.UnknownVal(cty.String), function.NewArgErrorf(i+1, "would extend prefix to %d bits, which is too long for an %s address", length, family)
			}
			if i == 0 {
				// The walk starts at the block of the first size just
				// before the prefix, so that stepping to the next block
				// lands on the prefix's first address.
				before := wrap(new(big.Int).Sub(base, big.NewInt(1)), bits)
				cur = block{start: maskInt(before, length, bits), len: length}
			}
			next, rolled := cur.next(length, bits)
			if rolled || !network.Contains(intIP(next.start, bits)) {
				// Running out of room would otherwise carry into the
				// prefix bits and hand out addresses outside it.
				return cty.UnknownVal(cty.String), function.NewArgErrorf(i+1, "not enough remaining address space for a subnet with a prefix of %d bits after %s", length, cur.String(bits))
			}
			cur = next
			subnets[i] = cty.StringVal(cur.String(bits))
		}
		return cty.ListVal(subnets), nil
	},
})

// block is an aligned run of addresses: start with its low bits clear, and
// the prefix length len.
type block struct {
	start *big.Int
	len   int
}

// next is the first block of prefix length length after b ends, and whether
// the address space wrapped around to zero to reach it.
func (b block) next(length, bits int) (block, bool) {
	last := lastAddr(b.start, b.len, bits)
	// Aligning b's last address to the new size first and stepping past that
	// keeps a larger following block from overlapping b.
	last = lastAddr(maskInt(last, length, bits), length, bits)
	after := wrap(last.Add(last, big.NewInt(1)), bits)
	return block{start: maskInt(after, length, bits), len: length}, after.Sign() == 0
}

// String writes b in CIDR notation.
func (b block) String(bits int) string {
	return (&net.IPNet{IP: intIP(b.start, bits), Mask: net.CIDRMask(b.len, bits)}).String()
}

// lastAddr is the last address of the block of prefix length length that
// starts at start.
func lastAddr(start *big.Int, length, bits int) *big.Int {
	hostMask := new(big.Int).Lsh(big.NewInt(1), uint(bits-length))
	hostMask.Sub(hostMask, big.NewInt(1))
	return hostMask.Or(hostMask, start)
}

// maskInt clears the host bits of v below a prefix of length length.
func maskInt(v *big.Int, length, bits int) *big.Int {
	hostMask := new(big.Int).Lsh(big.NewInt(1), uint(bits-length))
	hostMask.Sub(hostMask, big.NewInt(1))
	return new(big.Int).AndNot(v, hostMask)
}

// wrap reduces v modulo 2^bits, as address arithmetic overflows.
func wrap(v *big.Int, bits int) *big.Int {
	mod := new(big.Int).Lsh(big.NewInt(1), uint(bits))
	return v.Mod(v, mod)
}

// parseCIDR parses a prefix in CIDR notation, returning the network with its
// host bits cleared.
func parseCIDR(s string) (*net.IPNet, error) {
	_, network, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("invalid CIDR expression: %w", err)
	}
	return network, nil
}

// ipInt is ip as an integer and its width in bits, taken from the length of
// its byte form (4 or 16).
func ipInt(ip net.IP) (*big.Int, int) {
	return new(big.Int).SetBytes(ip), len(ip) * 8
}

// intIP is v as an address of the given width.
func intIP(v *big.Int, bits int) net.IP {
	return net.IP(wrap(new(big.Int).Set(v), bits).FillBytes(make([]byte, bits/8)))
}

// insertNum sets num into ip so that its lowest bit lands at bit position
// prefixLen (counting from the most significant bit), which is how both a
// subnet number and a host number are placed into a base address.
func insertNum(ip net.IP, num *big.Int, prefixLen int) net.IP {
	v, bits := ipInt(ip)
	shifted := new(big.Int).Lsh(num, uint(bits-prefixLen))
	return intIP(v.Or(v, shifted), bits)
}

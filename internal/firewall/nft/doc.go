// Package nft reads the kernel's nftables ruleset over netlink (with
// github.com/google/nftables) into a firewall.Ruleset: base chains with
// their hooks, priorities and policies, regular chains, every rule's
// expressions, and sets and verdict maps with their elements.
//
// google/nftables builds on Linux only, so all of it is Linux-only; the
// evaluator (internal/firewall) is portable and evaluates a saved ruleset
// anywhere.
package nft

/*
 * policy_mc.c - src/policy_mc.lua embedded into the binary.
 *
 * As wrk embeds src/wrk.lua beside src/script.c: the helper module ships
 * inside memcoord, so the daemon never opens it by a path at run time (the
 * worker that runs it may open no files at all) and it cannot drift from
 * the binary.  The assembler's .incbin takes the file as it is, no
 * generator needed; the path is relative to the top of the tree, where
 * make runs the compiler.  The Makefile names the .lua as a prerequisite
 * of this object.
 */
#include "policy_mc.h"

__asm__(".pushsection .rodata\n"
	".global mc_policy_mc_src\n"
	".type mc_policy_mc_src, @object\n"
	"mc_policy_mc_src:\n"
	".incbin \"src/policy_mc.lua\"\n"
	".byte 0\n"
	".size mc_policy_mc_src, . - mc_policy_mc_src\n"
	".popsection\n");

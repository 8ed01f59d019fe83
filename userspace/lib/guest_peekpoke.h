/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest that reads and writes its own memory on the host's behalf, for
 * tests that must see memory through the guest's eyes (stage 2), not the
 * VMM's mapping. Include it in one file of a test program only.
 *
 * The guest loops: it loads PP_CMD, PP_ADDR and PP_VAL (three MMIO reads
 * the VMM answers), then with cmd 0 loads the doubleword at addr and
 * stores it to PP_RESULT, with any other cmd stores val at addr and then
 * stores 0 to PP_DONE. Every access it makes to memory is a single
 * naturally aligned 64-bit LDR/STR.
 */
#ifndef MODKVM_GUEST_PEEKPOKE_H
#define MODKVM_GUEST_PEEKPOKE_H

#include "guest.h"
#include "vmm.h"

#define PP_CMD		(VMM_MMIO_BASE + 0x00)
#define PP_ADDR		(VMM_MMIO_BASE + 0x08)
#define PP_VAL		(VMM_MMIO_BASE + 0x10)
#define PP_RESULT	(VMM_MMIO_BASE + 0x18)
#define PP_DONE		(VMM_MMIO_BASE + 0x20)

GUEST_CODE(peekpoke,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"1:	ldr	x1, [x20, #0x00]\n"
	"	ldr	x2, [x20, #0x08]\n"
	"	ldr	x3, [x20, #0x10]\n"
	"	cbnz	x1, 2f\n"
	"	ldr	x4, [x2]\n"
	"	str	x4, [x20, #0x18]\n"
	"	b	1b\n"
	"2:	str	x3, [x2]\n"
	"	str	xzr, [x20, #0x20]\n"
	"	b	1b\n");

#endif /* MODKVM_GUEST_PEEKPOKE_H */

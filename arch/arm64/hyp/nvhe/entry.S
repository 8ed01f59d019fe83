/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, nVHE: entering the guest and coming back, hyp/entry.S built for
 * a host at EL1: __modkvm_guest_enter_nvhe and __modkvm_vectors_nvhe.
 */
#define HYP_NVHE_ENTRY
#include "../entry.S"

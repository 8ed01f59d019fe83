// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm: module entry and exit.
 *
 * Load order: the architecture checks every CPU first (EL2 present, the
 * kernel's mode, nothing else owning EL2) and only then is /dev/kvm
 * registered, so a refused load leaves nothing behind.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>

#include "modkvm.h"

static int __init modkvm_init(void)
{
	int ret;

	ret = modkvm_arch_init();
	if (ret)
		return ret;

	ret = modkvm_dev_register();
	if (ret) {
		modkvm_arch_exit();
		return ret;
	}
	modkvm_arch_start();
	modkvm_debugfs_init();
	modkvm_vgic_load_note();
	pr_info("ready: /dev/kvm registered (API version %d)\n",
		MODKVM_API_VERSION);
	return 0;
}

static void __exit modkvm_exit(void)
{
	modkvm_dev_unregister();
	modkvm_debugfs_exit();
	modkvm_arch_stop();
	modkvm_arch_exit();
}

module_init(modkvm_init);
module_exit(modkvm_exit);

MODULE_DESCRIPTION("KVM-compatible hypervisor for Arm hosts, as a loadable module");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * A module that does nothing: reload_leak.sh loads and unloads it as many
 * times as modkvm, so that what the kernel's module loader itself leaves
 * behind in the slab caches is not blamed on modkvm.
 */
#include <linux/module.h>

static int __init control_init(void)
{
	return 0;
}

static void __exit control_exit(void)
{
}

module_init(control_init);
module_exit(control_exit);
MODULE_DESCRIPTION("modkvm selftests: control module for the leak check");
MODULE_LICENSE("GPL");

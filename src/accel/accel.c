/* Accelerator registry. */
#include <stdio.h>
#include <string.h>

#include "vslice/accel.h"

const struct accel_ops *accel_find(const char *name)
{
	static const struct accel_ops *const all[] = { &accel_kvm_ops, &accel_emu_ops };
	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

bool accel_host_has_hw_virt(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		/* Whole-word match of "vmx" (Intel VT-x) or "svm" (AMD-V). */
		for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
			if (strcmp(tok, "vmx") == 0 || strcmp(tok, "svm") == 0)
				found = true;
		break;
	}
	if (f)
		fclose(f);
	return found;
}

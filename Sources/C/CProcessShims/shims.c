#define _GNU_SOURCE
#include "CProcessShims.h"

#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

int oauth2_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

int oauth2_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowfd);
}

int oauth2_affinity_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        return -1;
    }
    return CPU_COUNT(&set);
}

int oauth2_wifexited(int status) { return WIFEXITED(status); }
int oauth2_wexitstatus(int status) { return WEXITSTATUS(status); }
int oauth2_wifsignaled(int status) { return WIFSIGNALED(status); }
int oauth2_wtermsig(int status) { return WTERMSIG(status); }

int oauth2_memfd_create(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}

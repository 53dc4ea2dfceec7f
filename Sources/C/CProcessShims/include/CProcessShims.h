#ifndef OAUTH2_CPROCESSSHIMS_H
#define OAUTH2_CPROCESSSHIMS_H

#include <spawn.h>
#include <sys/types.h>
#include <sys/signalfd.h>

/// Asks the kernel to send `signal` to this process when the thread that spawned it exits.
/// prctl() is variadic, so Swift cannot call it directly.
int oauth2_set_parent_death_signal(int signal);

/// Adds "close every descriptor from `lowfd` up" to a posix_spawn file-action list.
int oauth2_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd);

/// The number of CPUs in this process's affinity mask (CPU_COUNT is a macro), or -1.
int oauth2_affinity_cpu_count(void);

/// Decoders for waitpid() status words; the C macros are not imported into Swift.
int oauth2_wifexited(int status);
int oauth2_wexitstatus(int status);
int oauth2_wifsignaled(int status);
int oauth2_wtermsig(int status);

#endif

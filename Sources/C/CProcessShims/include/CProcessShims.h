#ifndef OAUTH2_CPROCESSSHIMS_H
#define OAUTH2_CPROCESSSHIMS_H

#include <spawn.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/signalfd.h>
#include <sys/random.h>  // getrandom(), for tokens (Base64URL.random)

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

/// An anonymous memory file (memfd_create is declared only under _GNU_SOURCE), close-on-exec,
/// for the counters a worker shares with its supervisor. -1 with errno on failure.
int oauth2_memfd_create(const char *name);

/// Atomic operations on 64-bit words in memory shared between processes (a worker's metrics
/// region): Swift's `Atomic` must own its storage, and these words live in a mapped file.
static inline void oauth2_shared_add(uint64_t *word, uint64_t amount) {
    __atomic_fetch_add(word, amount, __ATOMIC_RELAXED);
}
static inline uint64_t oauth2_shared_load(const uint64_t *word) {
    return __atomic_load_n(word, __ATOMIC_RELAXED);
}
/// Publishes a word after everything written before it (a new entry's length).
static inline void oauth2_shared_store_release(uint64_t *word, uint64_t value) {
    __atomic_store_n(word, value, __ATOMIC_RELEASE);
}
/// Reads a published word; what was written before it is visible after it.
static inline uint64_t oauth2_shared_load_acquire(const uint64_t *word) {
    return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

#endif

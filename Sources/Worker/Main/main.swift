import Foundation
import NIOCore
import NIOPosix
import WorkerApp

// A prefork worker is one event loop, as nginx's workers are one thread: the supervisor runs a
// worker per CPU, so more loops per process would only add threads contending for the same
// cores (measured with scripts/bench: about a fifth more tokens a second with one loop). Swift
// concurrency's jobs run on that loop too, so awaiting never moves a request to another thread.
NIOSingletons.groupLoopCountSuggestion = 1
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

exit(await WorkerBoot.run())

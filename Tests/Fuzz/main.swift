// oauth2-fuzz TARGET [libFuzzer flags] [corpus folders or files]
//
// Runs one fuzz target under libFuzzer (scripts/fuzz runs them all). One executable holds every
// target, so the sanitized build links once; the target is chosen here and the remaining
// arguments go to libFuzzer's driver unchanged.
import Foundation

/// libFuzzer's entry point for programs with their own `main` (libclang_rt.fuzzer_no_main).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

guard let target = FuzzTarget.selected else {
    let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
    FileHandle.standardError.write(Data("usage: oauth2-fuzz TARGET [libFuzzer flags] [corpus...]\ntargets: \(names)\n".utf8))
    exit(2)
}

// argv without the target's name, as libFuzzer expects it (NULL-terminated).
var argc = CommandLine.argc - 1
var argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: Int(argc) + 1)
argv[0] = CommandLine.unsafeArgv[0]
for index in 1..<Int(argc) { argv[index] = CommandLine.unsafeArgv[index + 1] }
argv[Int(argc)] = nil

exit(
    runFuzzerDriver(&argc, &argv) { data, count in
        FuzzTarget.selected?.run(Array(UnsafeBufferPointer(start: data, count: count)))
        return 0
    })

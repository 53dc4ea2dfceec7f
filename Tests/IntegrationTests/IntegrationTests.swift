import TestSupport
import Testing

/// Every suite that starts real server processes runs inside this one, one test at a time:
/// they share two CPU cores and wall-clock deadlines, so running them side by side would
/// measure the machine rather than the server. `.startsServers` keeps the other targets'
/// suites that start servers from running beside them too.
@Suite(.serialized, .startsServers)
enum IntegrationTests {}

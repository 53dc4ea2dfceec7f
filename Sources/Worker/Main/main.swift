import Foundation
import WorkerApp

exit(await WorkerBoot.run())

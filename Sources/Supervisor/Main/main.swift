import ArgumentParser
import SupervisorCore

OAuth2ServerCommand.main()

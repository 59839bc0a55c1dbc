import Foundation

/// Reads a secret from the terminal without echoing it: the prompt goes to standard
/// error, echo is off while the line is typed and restored afterwards (also when the
/// read fails). Used only when standard input is a terminal; piped input is read as is.
enum TerminalPrompt {
    /// True when standard input is a terminal.
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// Shows `prompt`, reads one line with echo off; nil at end of input. Echo goes off
    /// before the prompt appears and without flushing (TCSANOW): with TCSAFLUSH a line typed
    /// as soon as the prompt showed was discarded, and the read waited for ever.
    static func readSecret(_ prompt: String) -> String? {
        var saved = termios()
        let haveTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
        if haveTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        FileHandle.standardError.write(Data(prompt.utf8))
        defer {
            if haveTerminal {
                _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            }
        }
        return readLine(strippingNewline: true)
    }
}

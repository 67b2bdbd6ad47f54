"""Files and errors: the user-facing error types, atomic writes and safe loads, names that may
become folders, paths, this tool's temporaries, the crash log.

Imports: nothing else of rd4ad (the bottom layer).
"""

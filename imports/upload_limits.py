"""The limits of reading an upload (imports.reader_process) and how a refusal is said.

Standard library only: the reader's child process imports it.
"""

MAX_ROWS = 20_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 1_000  # a name, a place, a date: longer is cut (the check still flags it)
MAX_TEXT_CHARS = 10_000_000  # all the text of one register
SHEET_ROWS = MAX_ROWS + 50  # the rows a sheet may use: the register, its header, a title
MAX_SHEETS = 12  # sheets read from one workbook (a register per year or per group)
SHEET_COLUMNS = 256  # columns a sheet may use (notes right of the register are cut)
ZIP_ENTRIES = 1_000
ZIP_PART_BYTES = 64 * 1024 * 1024  # one unpacked part (a sheet, the shared strings)
ZIP_TOTAL_BYTES = 160 * 1024 * 1024
ZIP_RATIO = 200  # unpacked / packed, for parts over a megabyte
MEMORY_BYTES = 1024 * 1024 * 1024
CPU_SECONDS = 15


class Refused(Exception):
    """The file is not read; `code` names why (readers.MESSAGES), `args_` fills it in."""

    def __init__(self, code: str, **args):
        super().__init__(code)
        self.code = code
        self.args_ = args


# Limits --------------------------------------------------------------------------


def limit_self(memory: int = MEMORY_BYTES, cpu: int = CPU_SECONDS) -> None:
    import resource

    for name, value in (
        ("RLIMIT_AS", memory),
        ("RLIMIT_CPU", cpu),
        ("RLIMIT_CORE", 0),
        ("RLIMIT_FSIZE", 0),
    ):
        limit = getattr(resource, name, None)
        if limit is not None:
            resource.setrlimit(limit, (value, value))

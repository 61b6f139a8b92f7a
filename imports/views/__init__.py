"""Import pages: upload a register, check it (dry run), answer what was asked, import.

A batch is its uploader's (others get 404): its raw rows are personal data they brought
in. Once imported, admins may read its page and download its rows to fix too; only the
uploader changes it. Who may import what is decided by the check itself (imports.services):
coordinators and admins in their provinces, facilitators into their own groups.
"""

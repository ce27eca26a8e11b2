from complaintdesk.cli import main

main()

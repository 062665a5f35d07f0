from visits.cli import main

main()

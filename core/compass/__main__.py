from compass.cli.main import main

main()

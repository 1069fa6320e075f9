from bangban.manage import main

main()

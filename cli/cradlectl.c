/* cradlectl.c: the Cradle engine from a terminal */
#include "config.h"

#include <locale.h>

#include "cradlectl-private.h"

static const CradlectlCommand commands[] = {
  { "devices", "List the connected devices", cradlectl_devices },
  { "certs", "List the certificates on a device", cradlectl_certs },
  { "install", "Install a PFX/P12, CER or P7B file on a device", cradlectl_install },
  { "status", "Each certificate on a device: valid, renew soon, expired, revoked or unknown", cradlectl_status },
  { "templates", "List the certificate types and whether you may enroll", cradlectl_templates },
  { "enroll", "Get a certificate for a device", cradlectl_enroll },
  { "types", "List, add, edit and remove administrators' certificate types", cradlectl_types },
  { "pending", "List the requests not finished yet", cradlectl_pending },
  { "retrieve", "Finish requests: ask the CA, install what it issued", cradlectl_retrieve },
  { "renew", "Renew certificates on a device, or remove one", cradlectl_renew },
  { "log", "Show what happened to each enrollment, step by step", cradlectl_log },
  { "report", "Write one archive to attach to a support ticket", cradlectl_report },
  { "whoami", "Show who the domain says you are, and your groups", cradlectl_whoami },
  { "diagnose", "Check every hop to the CA, and say what is wrong and what to do", cradlectl_diagnose },
};

static void
print_usage (void)
{
  g_print ("Usage: cradlectl COMMAND [OPTIONS]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %-10s %s\n", commands[i].name, commands[i].summary);
  g_print ("\nRun 'cradlectl COMMAND --help' for a command's options.\n");
}

/* What main() returns to: the run is over, so end without the libraries'
 * destructors (cradle-process.c says why). */
static int
run (int    argc,
     char **argv)
{
  if (argc < 2 || g_str_equal (argv[1], "help") || g_str_equal (argv[1], "--help"))
    {
      print_usage ();
      return argc < 2 ? CRADLECTL_EXIT_OTHER : CRADLECTL_EXIT_DONE;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("cradlectl %s\n", CRADLE_VERSION);
      return CRADLECTL_EXIT_DONE;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (g_str_equal (argv[1], commands[i].name))
        return commands[i].run (argc - 1, argv + 1);
    }

  g_printerr ("cradlectl: '%s' is not a command. Run 'cradlectl help' to see the commands.\n", argv[1]);
  return CRADLECTL_EXIT_OTHER;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  cradlectl_install_sanitiser ();
  cradle_process_exit (run (argc, argv), CRADLECTL_EXIT_OTHER);
}
